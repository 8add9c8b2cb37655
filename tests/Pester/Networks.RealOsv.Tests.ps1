# Instances on a network of their own, on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv),
# booted from disk and straight into the kernel. Everything runs in a network namespace the test makes: the
# cmdlets in a PowerShell started inside it, so the bridge, the taps, dnsmasq and QEMU never touch the host's
# network, and the namespace (with anything left in it) is deleted at the end. Two guests on one network: one
# serves (tests/fixtures/osv-probe.c 'serve'), the other (tests/fixtures/osv-netclient.c) resolves the first by
# its instance name through OSv's resolver and the network's dnsmasq, and by its address, and fetches its
# page; a -Forward on the network answers from 127.0.0.1; Remove-OsvNetwork -Force leaves nothing behind.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $osv = Find-RealOsv
    $blocker = if (-not $osv.Loader) { $osv.Reason } else { Get-NetworkTestBlocker }
    $module = Get-OsvTestModulePath
    if (-not $blocker) {
        $probe = New-OsvProbe (Join-Path $TestDrive 'probe')
        $client = Join-Path $TestDrive 'netclient'
        & gcc -fPIE -pie -O2 -o $client (Join-Path $PSScriptRoot '../fixtures/osv-netclient.c')
        if ($LASTEXITCODE) { throw 'gcc failed on osv-netclient.c' }
    }
    function Get-Tagged($Lines, [string] $Tag) { @($Lines | Where-Object { $_.StartsWith("${Tag}: ") } | ForEach-Object { $_.Substring($Tag.Length + 2) }) }
}

AfterAll {
    if (-not $blocker) { Remove-TestNetNamespaces }
}

Describe 'Two instances on one network, on the real OSv kernel, booted from <_>' -ForEach @('Kernel', 'Disk') {
    BeforeAll {
        $mode = $_
        if ($blocker) { return }
        $ns = New-TestNetNamespace
        $root = Join-Path $TestDrive "capstan-$mode"
        # The whole scenario in one PowerShell inside the namespace; each fact comes back as a tagged line.
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$PSScriptRoot/TestHelpers.psm1'
Import-Module '$module'
New-RealOsvRepository '$root' (Find-RealOsv) | Out-Null
`$mode = '$mode'
New-OsvProject '$root/net' -BootCommand '/probe serve 8000' | Out-Null
Add-OsvBinary '$probe', '$client' -Project '$root/net' -WarningAction SilentlyContinue | Out-Null
`$image = Build-OsvImage '$root/net'
"@ + @'

function Json($o) { $o | ConvertTo-Json -Compress -Depth 3 }
$net = New-OsvNetwork lab
'network: ' + (Json ($net | Select-Object Name, Subnet, Gateway, State))
'bridge mac: ' + (Get-Content /sys/class/net/osvbr-lab/address)
$web = Start-OsvInstance $image -Name web -Network lab -BootMode $mode -Forward 18080:8000 -WarningAction SilentlyContinue
'web: ' + (Json ([pscustomobject]@{ State = "$($web.State)"; Network = $web.Network; IPAddress = @($web.IPAddress); Guest = $web.GuestCommandLine }))
'leases: ' + (Json ((Get-OsvNetwork lab) | Select-Object @{ n = 'Instances'; e = { @($_.Instances) } }, @{ n = 'IPAddress'; e = { @($_.IPAddress) } }))
'ports: ' + ((Get-ChildItem /sys/class/net/osvbr-lab/brif | ForEach-Object Name) -join ',')
'web tap: ' + (Get-Content (Join-Path $web.Path instance.state) | Where-Object { $_ -like 'tap=*' })
foreach ($target in @('web', @($web.IPAddress)[0])) {
    $out = Start-OsvInstance $image -Name client -Network lab -BootMode $mode -CommandLine "/netclient $target 8000" -Wait -Timeout 120 -WarningAction SilentlyContinue -ErrorAction Continue
    foreach ($line in $out | Where-Object { $_ -is [string] }) { "console ${target}: $line" }
    $ended = $out | Where-Object { $_ -isnot [string] } | Select-Object -Last 1
    "client ${target}: " + (Json ([pscustomobject]@{ State = "$($ended.State)"; ExitCode = $ended.ExitCode; IPAddress = @($ended.IPAddress) }))
}
'ports after: ' + ((Get-ChildItem /sys/class/net/osvbr-lab/brif | ForEach-Object Name) -join ',')
'bridge mac after: ' + (Get-Content /sys/class/net/osvbr-lab/address)
$reply = $null
foreach ($try in 1..30) {
    try { $reply = (Invoke-WebRequest http://127.0.0.1:18080/ -TimeoutSec 5).Content.Trim(); break } catch { Start-Sleep -Milliseconds 500 }
}
'forward: ' + $reply
& ss -H -ltn | ForEach-Object { 'listening: ' + (($_ -split '\s+')[3]) }
'json: ' + (Get-OsvInstance web | Select-Object Name, IPAddress | ConvertTo-Json -Compress)
'csv: ' + (Get-OsvInstance web | Select-Object Name, IPAddress | ConvertTo-Csv -NoTypeInformation)[1]
'table: ' + (((Get-OsvInstance web | Format-Table | Out-String) -split "`n") | Where-Object { $_ -match '^web ' })
$user = Start-OsvInstance $image -Name usernet -BootMode $mode -WarningAction SilentlyContinue
foreach ($try in 1..100) { if (@((Get-OsvInstance usernet).IPAddress).Count) { break }; Start-Sleep -Milliseconds 200 }
'user: ' + (Json ([pscustomobject]@{ Network = (Get-OsvInstance usernet).Network; IPAddress = @((Get-OsvInstance usernet).IPAddress) }))
'user console: ' + ((Get-Content (Get-OsvInstance usernet).ConsolePath | Where-Object { $_ -like 'eth*' }) -join ';')
Stop-OsvInstance usernet | Out-Null
# A rolling replace on the network: the replacement takes the forward and the name 'web'.
$new = Update-OsvInstance web $image -CommandLine '/probe serve 8000 replaced' -Timeout 120 -WarningAction SilentlyContinue
'replaced: ' + (Json ([pscustomobject]@{ Name = $new.Name; IPAddress = @($new.IPAddress); Forwards = @($new.Forwards); Old = "$((Get-OsvInstance web).State)"; OldReason = "$((Get-OsvInstance web).Reason)" }))
'hosts: ' + ((Get-Content (Join-Path (Get-OsvNetwork lab).Path hosts) | Where-Object { $_ -notlike '#*' }) -join ';')
$out = Start-OsvInstance $image -Name client -Network lab -BootMode $mode -CommandLine '/netclient web 8000' -Wait -Timeout 120 -WarningAction SilentlyContinue -ErrorAction Continue
foreach ($line in $out | Where-Object { $_ -is [string] }) { "console replaced: $line" }
'forward replaced: ' + (Invoke-WebRequest http://127.0.0.1:18080/ -TimeoutSec 5).Content.Trim()
$dns = (Get-OsvNetwork lab).DnsPid
'dnsmasq: ' + $dns
Remove-OsvNetwork lab -ErrorAction Continue -ErrorVariable refused
'refused: ' + $refused[0].FullyQualifiedErrorId
Remove-OsvNetwork lab -Force -Confirm:$false
'after: ' + (Json ([pscustomobject]@{ Web = "$((Get-OsvInstance web).State)"; Networks = @(Get-OsvNetwork).Count; Links = @(& ip -br link | ForEach-Object { ($_ -split '\s+')[0] }) }))
'@
        $lines = @(Invoke-PwshInNamespace $ns $script | ForEach-Object { "$_" })
        $left = @(& ip netns pids $ns)
        Remove-TestNetNamespace $ns
    }

    It 'gives each instance an address of the network, on the bridge through a tap of its own, on OSv''s command line' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        $net = @(Get-Tagged $lines 'network')[0] | ConvertFrom-Json
        $net.State | Should -Be 'Up' -Because ($lines -join "`n")
        $web = @(Get-Tagged $lines 'web')[0] | ConvertFrom-Json
        $web.State | Should -Be 'Running'
        $web.Network | Should -Be 'lab'
        $web.IPAddress | Should -Be @('10.200.0.2')
        $web.Guest | Should -BeLike "*--ip=eth0,10.200.0.2,255.255.255.0 --ip=eth1,10.0.2.15,255.255.255.0 --defaultgw=10.200.0.1 --nameserver=10.200.0.1 runscript /run/default;"
        $leases = @(Get-Tagged $lines 'leases')[0] | ConvertFrom-Json
        $leases.Instances | Should -Be @('web')
        $leases.IPAddress | Should -Be @('10.200.0.2')
        $tap = @(Get-Tagged $lines 'web tap')[0] -replace '^tap=', ''
        $tap | Should -Match '^osvtap-[0-9a-f]{8}$'
        @(Get-Tagged $lines 'ports')[0] | Should -Be $tap
        @(Get-Tagged $lines 'ports after')[0] | Should -Be $tap -Because 'the client''s tap went with its QEMU'
        # A bridge left to itself takes its lowest port's MAC: the gateway's address would change under the guests' ARP caches.
        @(Get-Tagged $lines 'bridge mac')[0] | Should -Match '^02(:[0-9a-f]{2}){5}$'
        @(Get-Tagged $lines 'bridge mac after')[0] | Should -Be @(Get-Tagged $lines 'bridge mac')[0] -Because 'taps joined and left the bridge'
    }

    It 'a guest reaches the other by its instance name (OSv''s resolver asks the network''s dnsmasq) and by its address' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        $byName = @(Get-Tagged $lines 'console web')
        $byName | Should -Contain 'resolved web to 10.200.0.2' -Because ($lines -join "`n")
        $byName | Should -Contain 'reply from web: hello from osv'
        $byName | Should -Contain 'eth0: 10.200.0.3'
        $byAddress = @(Get-Tagged $lines 'console 10.200.0.2')
        $byAddress | Should -Contain 'resolved 10.200.0.2 to 10.200.0.2'
        $byAddress | Should -Contain 'reply from 10.200.0.2: hello from osv'
        foreach ($target in 'web', '10.200.0.2') {
            $ended = @(Get-Tagged $lines "client $target")[0] | ConvertFrom-Json
            $ended.State | Should -Be 'Stopped'
            $ended.ExitCode | Should -Be 0
            $ended.IPAddress | Should -Be @('10.200.0.3') -Because 'the address on the object is the one the guest printed (eth0) and used; the second run got the address back'
        }
    }

    It 'a -Forward on the network answers from 127.0.0.1 only' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        @(Get-Tagged $lines 'forward')[0] | Should -Be 'hello from osv' -Because ($lines -join "`n")
        @(Get-Tagged $lines 'listening' | Sort-Object) | Should -Be @('10.200.0.1:53', '127.0.0.1:18080') -Because 'QEMU forwards from 127.0.0.1 only, dnsmasq listens on the bridge''s address only'
        @(Get-Tagged $lines 'web')[0] | ConvertFrom-Json | ForEach-Object Guest | Should -Not -BeNullOrEmpty
    }

    It 'shows IPAddress in the table and writes it as strings in JSON and CSV; user networking''s address comes from OSv''s console' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        @(Get-Tagged $lines 'json')[0] | Should -Be '{"Name":"web","IPAddress":["10.200.0.2"]}'
        @(Get-Tagged $lines 'csv')[0] | Should -Be '"web","10.200.0.2"'
        @(Get-Tagged $lines 'table')[0] | Should -Match '^web\s+Running\s.*\s10\.200\.0\.2\s+tcp:127\.0\.0\.1:1808'
        $user = @(Get-Tagged $lines 'user')[0] | ConvertFrom-Json
        $user.Network | Should -Be 'User'
        $user.IPAddress | Should -Be @('192.168.122.15')
        @(Get-Tagged $lines 'user console')[0] | Should -Be 'eth0: 192.168.122.15'
    }

    It 'Update-OsvInstance on the network hands the forward and the name to the replacement' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        $replaced = @(Get-Tagged $lines 'replaced')[0] | ConvertFrom-Json
        $replaced.Name | Should -Be 'web-2' -Because ($lines -join "`n")
        $replaced.Old | Should -Be 'Stopped' -Because "the old one was stopped on request ($($replaced.OldReason))"
        $replaced.Forwards | Should -Be @('tcp:127.0.0.1:18080:8000')
        $address = @($replaced.IPAddress)[0]
        $address | Should -Match '^10\.200\.0\.\d+$'
        @(Get-Tagged $lines 'hosts')[0] | Should -Be "$address web-2 web"
        $console = @(Get-Tagged $lines 'console replaced')
        $console | Should -Contain "resolved web to $address" -Because 'dnsmasq answers the old name with the replacement''s address'
        $console | Should -Contain 'reply from web: replaced'
        @(Get-Tagged $lines 'forward replaced')[0] | Should -Be 'replaced'
    }

    It 'Remove-OsvNetwork refuses while an instance runs on it, and with -Force stops it and leaves no bridge, tap or dnsmasq' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        @(Get-Tagged $lines 'refused')[0] | Should -Be 'NetworkInUse,OsvPS.Commands.RemoveOsvNetworkCommand' -Because ($lines -join "`n")
        $after = @(Get-Tagged $lines 'after')[0] | ConvertFrom-Json
        $after.Web | Should -Be 'Stopped'
        $after.Networks | Should -Be 0
        $after.Links | Should -Be @('lo')
        Test-ProcessGone ([int]@(Get-Tagged $lines 'dnsmasq')[0]) | Should -BeTrue
        $left | Should -BeNullOrEmpty -Because 'no process was left in the namespace'
    }
}
