# New-OsvNetwork, Get-OsvNetwork, Remove-OsvNetwork and Start-OsvInstance -Network NAME, without a guest: each
# test's bridges and dnsmasq live in a network namespace the test makes (the cmdlets run in a PowerShell started
# inside it), so the host's own network is never touched and nothing outlives the run. Guests on a network are
# tested on the real kernel in Networks.RealOsv.Tests.ps1.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $blocker = Get-NetworkTestBlocker
    $module = Get-OsvTestModulePath
    if (-not $blocker) {
        $ns = New-TestNetNamespace
        $env:CAPSTAN_ROOT = Join-Path $TestDrive 'capstan'
        New-Item -ItemType Directory -Force $env:CAPSTAN_ROOT | Out-Null
    }
    # Runs $Script in a PowerShell inside the test's namespace with the module imported; returns its output lines.
    function Invoke-InNamespace([string] $Script, [string[]] $Prefix = @()) {
        @(Invoke-PwshInNamespace $ns "`$ErrorActionPreference = 'Continue'; Import-Module '$module'`n$Script" -Prefix $Prefix | ForEach-Object { "$_" })
    }
    function Get-Tagged($Lines, [string] $Tag) { @($Lines | Where-Object { $_.StartsWith("${Tag}: ") } | ForEach-Object { $_.Substring($Tag.Length + 2) }) }
}

AfterAll {
    if (-not $blocker) { Remove-TestNetNamespaces }
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Networks of instances on this machine' {
    It 'New-OsvNetwork makes a bridge with the first address, a dnsmasq on that address alone, and its state; Get-OsvNetwork lists it' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        $out = Invoke-InNamespace @'
$n = New-OsvNetwork lab
'new: ' + ($n | Select-Object Name, Subnet, Gateway, Mask, Bridge, State, DnsPid | ConvertTo-Json -Compress)
'addr: ' + ((& ip -br -4 addr show dev osvbr-lab) -replace '\s+', ' ').Trim()
'link: ' + (& ip -o link show dev osvbr-lab)
& ss -H -lun | ForEach-Object { 'udp: ' + (($_ -split '\s+')[3]) }
& ss -H -ltn | ForEach-Object { 'tcp: ' + (($_ -split '\s+')[3]) }
'get: ' + (Get-OsvNetwork | Select-Object Name, State | ConvertTo-Json -Compress)
'table: ' + ((Get-OsvNetwork lab | Format-Table | Out-String) -split "`n" | Where-Object { $_ -match '^lab ' })
'files: ' + ((Get-ChildItem -Force (Join-Path $env:CAPSTAN_ROOT networks/lab) | ForEach-Object Name | Sort-Object) -join ',')
'@
        $new = @(Get-Tagged $out 'new')[0] | ConvertFrom-Json
        $new.Name | Should -Be 'lab'
        $new.Subnet | Should -Be '10.200.0.0/24' -Because 'the namespace has no routes: the first candidate is free'
        $new.Gateway | Should -Be '10.200.0.1'
        $new.Mask | Should -Be '255.255.255.0'
        $new.Bridge | Should -Be 'osvbr-lab'
        $new.State | Should -Be 'Up'
        $new.DnsPid | Should -BeGreaterThan 0
        # Up (the flag), with no carrier until a port joins: DOWN, or UNKNOWN on kernels that do not say.
        @(Get-Tagged $out 'addr')[0] | Should -Match '^osvbr-lab (UP|UNKNOWN|DOWN) 10\.200\.0\.1/24$' -Because 'a bridge with no port yet has no carrier to report'
        @(Get-Tagged $out 'link')[0] | Should -Match '[<,]UP[,>]' -Because 'the bridge is set up'
        @(Get-Tagged $out 'link')[0] | Should -Match ' link/ether 02(:[0-9a-f]{2}){5} ' -Because 'the bridge has its own fixed MAC address'
        @(Get-Tagged $out 'udp') | Should -Be @('10.200.0.1:53') -Because 'dnsmasq answers on the bridge address only, and serves no DHCP'
        @(Get-Tagged $out 'tcp') | Should -Be @('10.200.0.1:53')
        (@(Get-Tagged $out 'get')[0] | ConvertFrom-Json).State | Should -Be 'Up'
        @(Get-Tagged $out 'table')[0] | Should -Match '^lab\s+Up\s+10\.200\.0\.0/24\s+10\.200\.0\.1\s+osvbr-lab'
        @(Get-Tagged $out 'files')[0] | Should -Be 'dnsmasq.log,dnsmasq.pid,hosts,network.state'
    }

    It 'chooses a subnet that overlaps no route of the host nor another network, and refuses bad input leaving nothing made' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        $out = Invoke-InNamespace @'
& ip link add osvps-route type bridge; & ip addr add 10.200.1.1/24 dev osvps-route; & ip link set osvps-route up
'auto: ' + (New-OsvNetwork second).Subnet
foreach ($case in @(@('third', '10.200.1.0/25'), @('third', '10.200.0.0/16'), @('Lab', $null), @('lab', $null), @('third', '10.200.9.1/24'), @('third', '8.8.8.0/24'))) {
    $e = $null
    if ($case[1]) { New-OsvNetwork $case[0] -Subnet $case[1] -ErrorVariable e -ErrorAction SilentlyContinue | Out-Null }
    else { New-OsvNetwork $case[0] -ErrorVariable e -ErrorAction SilentlyContinue | Out-Null }
    'error: ' + $case[0] + ' ' + $case[1] + ' => ' + $e[0].FullyQualifiedErrorId + ' | ' + $e[0].CategoryInfo.Category + ' | ' + $e[0].Exception.Message
}
'folders: ' + ((Get-ChildItem (Join-Path $env:CAPSTAN_ROOT networks) | ForEach-Object Name | Sort-Object) -join ',')
'bridges: ' + ((& ip -br link show type bridge | ForEach-Object { ($_ -split '\s+')[0] } | Where-Object { $_ -ne 'osvps-route' } | Sort-Object) -join ',')
New-OsvNetwork fourth -WhatIf
'after whatif: ' + (Test-Path (Join-Path $env:CAPSTAN_ROOT networks/fourth))
& ip link del osvps-route
'@
        @(Get-Tagged $out 'auto')[0] | Should -Be '10.200.2.0/24' -Because '10.200.0.0/24 is network lab''s and the host routes 10.200.1.0/24'
        $errors = @(Get-Tagged $out 'error')
        $errors[0] | Should -Match '^third 10\.200\.1\.0/25 => NetworkSubnetInUse,OsvPS\.Commands\.NewOsvNetworkCommand \| ResourceExists \| .*route to 10\.200\.1\.0/24'
        $errors[1] | Should -Match "^third 10\.200\.0\.0/16 => NetworkSubnetInUse,.* \| .*overlaps network 'lab'"
        $errors[2] | Should -Match '^Lab  => NetworkNameInvalid,.* \| InvalidArgument \|'
        $errors[3] | Should -Match "^lab  => NetworkExists,.* \| ResourceExists \| network 'lab' exists already"
        $errors[4] | Should -Match '^third 10\.200\.9\.1/24 => NetworkSubnetInvalid,.*host bits set; the network is 10\.200\.9\.0/24'
        $errors[5] | Should -Match '^third 8\.8\.8\.0/24 => NetworkSubnetInvalid,.*private range'
        @(Get-Tagged $out 'folders')[0] | Should -Be 'lab,second'
        @(Get-Tagged $out 'bridges')[0] | Should -Be 'osvbr-lab,osvbr-second'
        @($out | Where-Object { $_ -like 'What if:*' }) | Should -Be @('What if: Performing the operation "Create network 10.200.3.0/24 on bridge osvbr-fourth with a dnsmasq for its names" on target "fourth".')
        @(Get-Tagged $out 'after whatif')[0] | Should -Be 'False'
    }

    It 'says that networks need root (CAP_NET_ADMIN), as a PermissionDenied error, and changes nothing; reading them does not' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        # Root without CAP_NET_ADMIN: the capability is out of the bounding set of the PowerShell started.
        $out = Invoke-InNamespace -Prefix @('setpriv', '--bounding-set=-net_admin', '--') @'
'caps: ' + ((Get-Content /proc/self/status | Where-Object { $_ -like 'CapEff:*' }) -replace '\s+', ' ')
function Show($e) { 'error: ' + $e[0].FullyQualifiedErrorId + ' | ' + $e[0].CategoryInfo.Category + ' | ' + $e[0].Exception.Message }
New-OsvNetwork nope -ErrorVariable e1 -ErrorAction SilentlyContinue | Out-Null; Show $e1
Remove-OsvNetwork lab -Confirm:$false -ErrorVariable e2 -ErrorAction SilentlyContinue; Show $e2
Start-OsvInstance osv-loader -Network lab -CommandLine /x -ErrorVariable e3 -ErrorAction SilentlyContinue | Out-Null; Show $e3
'get: ' + ((Get-OsvNetwork | ForEach-Object Name) -join ',')
'@
        $errors = @(Get-Tagged $out 'error')
        $errors.Count | Should -Be 3
        $errors[0] | Should -Match '^NetworkNeedsRoot,OsvPS\.Commands\.NewOsvNetworkCommand \| PermissionDenied \| New-OsvNetwork nope needs root \(CAP_NET_ADMIN\)'
        $errors[1] | Should -Match '^NetworkNeedsRoot,OsvPS\.Commands\.RemoveOsvNetworkCommand \| PermissionDenied \|'
        # The start is refused for the network before any image is looked at (there is no image here).
        $errors[2] | Should -Match '^(NetworkNeedsRoot|ImageNotFound),'
        @(Get-Tagged $out 'get')[0] | Should -Be 'lab,second'
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'networks/nope') | Should -BeFalse
    }

    It 'Start-OsvInstance -Network names an unknown network as NetworkNotFound, and completes the modes and the networks' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        $out = Invoke-InNamespace ("Import-Module '$PSScriptRoot/TestHelpers.psm1'; New-TestRepository '$($env:CAPSTAN_ROOT)' | Out-Null`n" + @'

$e = $null
Start-OsvInstance osv-loader -Network nosuch -CommandLine /x -ErrorVariable e -ErrorAction SilentlyContinue | Out-Null
'error: ' + $e[0].FullyQualifiedErrorId + ' | ' + $e[0].Exception.Message
'instances: ' + @(Get-OsvInstance).Count
$line = 'Start-OsvInstance osv-loader -Network '
'complete: ' + ((TabExpansion2 $line $line.Length).CompletionMatches.CompletionText -join ',')
$line = 'Remove-OsvNetwork s'
'complete remove: ' + ((TabExpansion2 $line $line.Length).CompletionMatches.CompletionText -join ',')
'@)
        @(Get-Tagged $out 'error')[0] | Should -Match "^NetworkNotFound,OsvPS\.Commands\.StartOsvInstanceCommand \| there is no network 'nosuch'.*New-OsvNetwork nosuch"
        @(Get-Tagged $out 'instances')[0] | Should -Be '0'
        @(Get-Tagged $out 'complete')[0] | Should -Be 'User,None,Bridge,Tap,lab,second'
        @(Get-Tagged $out 'complete remove')[0] | Should -Be 'second'
    }

    It 'Remove-OsvNetwork -WhatIf leaves the network; Remove-OsvNetwork ends its dnsmasq, deletes its bridge and its state' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        $out = Invoke-InNamespace @'
$pid1 = (Get-OsvNetwork lab).DnsPid
Remove-OsvNetwork lab -WhatIf
'after whatif: ' + (Get-OsvNetwork lab).State
Get-OsvNetwork | Remove-OsvNetwork -Confirm:$false -PassThru | ForEach-Object { 'removed: ' + $_.Name }
'left: ' + @(Get-OsvNetwork).Count
'dnsmasq: ' + $pid1
'links: ' + ((& ip -br link | ForEach-Object { ($_ -split '\s+')[0] }) -join ',')
'@
        @(Get-Tagged $out 'after whatif')[0] | Should -Be 'Up'
        @(Get-Tagged $out 'removed') | Should -Be @('lab', 'second')
        @(Get-Tagged $out 'left')[0] | Should -Be '0'
        Test-ProcessGone ([int]@(Get-Tagged $out 'dnsmasq')[0]) | Should -BeTrue -Because 'the network''s dnsmasq has ended'
        @(Get-Tagged $out 'links')[0] | Should -Be 'lo'
        @(& ip netns pids $ns) | Should -BeNullOrEmpty -Because 'no dnsmasq is left in the namespace'
        @(Get-ChildItem (Join-Path $env:CAPSTAN_ROOT 'networks')) | Should -BeNullOrEmpty
    }
}
