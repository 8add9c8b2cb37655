# Instances on a libvirt network (New-OsvNetwork -Connection), on a real libvirtd (qemu:///system) booting the real OSv
# kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv). The daemons are started when installed and not running (and
# stopped at the end); without them, or without a real OSv, each test says why it skipped. Two guests on one network: one
# serves (tests/fixtures/osv-probe.c 'serve'), the other (tests/fixtures/osv-netclient.c) resolves the first by its
# instance name through OSv's resolver and the network's dnsmasq (libvirt's), and by its address, and fetches its page.
# The network is isolated (no <forward>): its bridge holds a 10.x subnet of its own and libvirt's dnsmasq listens on the
# bridge's address only. Every network made here is named osvps-test-<run>, so Clear-TestLibvirt removes what a killed
# run left; AfterAll removes this run's whatever the tests did. virsh and ip are the independent witnesses.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $lv = Initialize-TestLibvirt
    $osv, $uri, $run, $pool, $why, $virsh = $lv.Osv, $lv.Uri, $lv.Run, $lv.Pool, $lv.Why, $lv.Virsh
    function Skip-Without { if ($why) { Set-ItResult -Skipped -Because $why; return $true } $false }
    function Virsh { & timeout -k 5 60 $virsh -c $uri @args 2>&1 }
    # The lines of an instance's console copy (brought up to date by Get-OsvInstance) that OSv printed as "eth0: ADDRESS".
    function Get-Eth0([string] $Name) {
        foreach ($try in 1..300) {
            $instance = Get-OsvInstance $Name -Connection $uri
            $found = @(Get-Content -LiteralPath $instance.ConsolePath -ErrorAction Ignore | Where-Object { $_ -match '^eth0: ' })
            if ($found.Count -or $instance.State -ne 'Running') { return $found }
            Start-Sleep -Milliseconds 200
        }
        @()
    }
    if (-not $why) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $project = Join-Path $TestDrive 'lvnet'
        New-OsvProject $project -BootCommand '/probe serve 8000' | Out-Null
        $client = Join-Path $TestDrive 'netclient'
        & gcc -fPIE -pie -O2 -o $client (Join-Path $PSScriptRoot '../fixtures/osv-netclient.c')
        if ($LASTEXITCODE) { throw 'gcc failed on osv-netclient.c' }
        Add-OsvBinary (New-OsvProbe (Join-Path $TestDrive 'probe')), $client -Project $project -WarningAction SilentlyContinue | Out-Null
        $image = Build-OsvImage $project -WarningAction SilentlyContinue
    }
}

AfterAll {
    try {
        if (-not $why) {
            Get-OsvInstance "lv-$run-*" -Connection $uri -ErrorAction Ignore | Remove-OsvInstance -Force -ErrorAction Ignore
            Clear-TestLibvirt $uri | Out-Null
        }
    }
    finally {
        Remove-Item Env:OSVPS_LIBVIRT_TIMEOUT -ErrorAction Ignore
        Stop-TestLibvirt
        $env:CAPSTAN_ROOT = $savedRoot
    }
}

Describe 'Instances on a libvirt network (qemu:///system), booted from <_>' -ForEach @('Kernel', 'Disk') {
    BeforeAll {
        $mode = $_
        $m = $mode.Substring(0, 1).ToLowerInvariant()
        $net = "osvps-test-$run-$m"
        $web = "lv-$run-$m-web"
        $clientName = "lv-$run-$m-client"
        if ($why) { return }
        $made = New-OsvNetwork $net -Connection $uri
        $xml = [xml]((Virsh net-dumpxml $net) -join "`n")
        $gateway = $made.Gateway
        $prefix = $gateway -replace '\.1$', ''
        $dnsPid = [int](Get-Content "/run/libvirt/network/$net.pid" -ErrorAction Stop).Trim()
    }

    It 'makes an isolated network with a bridge of its own holding the gateway address, no DHCP, and a name server on the bridge only' {
        if (Skip-Without) { return }
        $made.Engine | Should -Be 'Libvirt'
        $made.Connection | Should -Be $uri
        $made.State | Should -Be 'Up'
        $made.Subnet | Should -Match '^10\.\d+\.\d+\.0/24$'
        $made.Gateway | Should -Be (($made.Subnet -replace '\.0/24$', '') + '.1')
        $made.Bridge | Should -Match '^osvlv-'
        @($made.Instances).Count | Should -Be 0
        $xml.network.forward | Should -BeNullOrEmpty -Because 'no <forward>: no traffic leaves the host'
        $xml.network.ip.address | Should -Be $gateway
        $xml.network.ip.dhcp | Should -BeNullOrEmpty
        $xml.network.bridge.name | Should -Be $made.Bridge
        (Virsh net-info $net | Where-Object { "$_" -match '^Autostart:' }) | Should -Match 'yes'
        $addresses = @(& ip -br -4 addr show dev $made.Bridge | ForEach-Object { ($_ -split '\s+')[2] })
        $addresses | Should -Be @("$gateway/24")
        $listening = @(& ss -H -lntup | Where-Object { $_ -match "pid=$dnsPid," } | ForEach-Object { ($_ -split '\s+')[4] } | Sort-Object -Unique)
        $listening | Should -Be @("${gateway}:53") -Because 'libvirt''s dnsmasq of this network listens on the bridge''s address only'
    }

    It 'starts an instance on it with the first free address on OSv''s command line, a DNS host record, and the NIC on the network' {
        if (Skip-Without) { return }
        $started = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name $web -Network $net -BootMode $mode -WarningAction SilentlyContinue
        $started.State | Should -Be 'Running'
        $started.BootMode | Should -Be $mode
        $started.Network | Should -Be $net
        @($started.IPAddress) | Should -Be @("$prefix.2")
        $started.GuestCommandLine | Should -BeLike "*--ip=eth0,$prefix.2,255.255.255.0 --defaultgw=$gateway --nameserver=$gateway *"
        $domain = [xml]((Virsh dumpxml "osvps-$web") -join "`n")
        $domain.domain.devices.interface.type | Should -Be 'network'
        $domain.domain.devices.interface.source.network | Should -Be $net
        $domain.domain.devices.interface.mac.address | Should -Match '^52:54:00(:[0-9a-f]{2}){3}$'
        $hosts = ([xml]((Virsh net-dumpxml $net) -join "`n")).network.dns.host
        @($hosts).Count | Should -Be 1
        $hosts.ip | Should -Be "$prefix.2"
        $hosts.hostname | Should -Be $web
        ([xml]((Virsh net-dumpxml $net --inactive) -join "`n")).network.dns.host.hostname | Should -Be $web -Because 'the record is in the config too'
        Get-Eth0 $web | Should -Be @("eth0: $prefix.2") -Because 'the address on the object is the one OSv set'
    }

    It 'a second instance resolves the first by its instance name and by its address, and gets its page; <Target>' -ForEach @(
        @{ Target = 'name' }
        @{ Target = 'address' }
    ) {
        if (Skip-Without) { return }
        $to = if ($Target -eq 'name') { $web } else { "$prefix.2" }
        $output = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name $clientName -Network $net -BootMode $mode -CommandLine "/netclient $to 8000" -Wait -Timeout 120 -WarningAction SilentlyContinue -ErrorAction Continue
        $lines = Get-ConsoleLines $output
        $lines | Should -Contain "resolved $to to $prefix.2" -Because ($lines -join "`n")
        $lines | Should -Contain "reply from ${to}: hello from osv"
        $lines | Should -Contain "eth0: $prefix.3"
        $ended = Get-FinalInstance $output
        $ended.State | Should -Be 'Stopped'
        $ended.ExitCode | Should -Be 0
        @($ended.IPAddress) | Should -Be @("$prefix.3") -Because 'the address on the object is the one the guest printed (eth0)'
        $hosts = @(([xml]((Virsh net-dumpxml $net) -join "`n")).network.dns.host)
        @($hosts | ForEach-Object { $_.hostname }) | Should -Be @($web) -Because 'the stopped client''s record went'
    }

    It 'Get-OsvNetwork -Connection lists it with its instances, beside the connection''s other networks; Get-OsvInstance shows the address' {
        if (Skip-Without) { return }
        $all = @(Get-OsvNetwork -Connection $uri)
        $all.Name | Should -Contain $net
        @(Virsh net-list --all --name | ForEach-Object { "$_".Trim() } | Where-Object { $_ }) | ForEach-Object { $all.Name | Should -Contain $_ }
        $all | ForEach-Object { $_.Connection | Should -Be $uri }
        $listed = Get-OsvNetwork $net -Connection $uri
        @($listed.Instances) | Should -Be @($web)
        @($listed.IPAddress) | Should -Be @("$prefix.2")
        ((Get-OsvNetwork -Connection $uri | Format-Table | Out-String -Width 300) -split "`n" | Where-Object { $_ -match "^$net " }) | Should -Match "$web $([regex]::Escape("$prefix.2"))"
        Get-OsvNetwork no-such-net -Connection $uri -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NetworkNotFound,*'
        $instance = Get-OsvInstance $web -Connection $uri
        $instance.Network | Should -Be $net
        ($instance | Select-Object Name, IPAddress | ConvertTo-Json -Compress) | Should -Be "{`"Name`":`"$web`",`"IPAddress`":[`"$prefix.2`"]}"
        ((Get-OsvInstance $web -Connection $uri | Format-Table | Out-String -Width 300) -split "`n" | Where-Object { $_ -match "^$web " }) | Should -Match ([regex]::Escape("$prefix.2"))
    }

    It 'refuses bad input and leaves nothing half-made: <Case>' -ForEach @(
        @{ Case = 'a subnet with host bits'; New = @{ Name = 'osvps-test-bad'; Subnet = '10.77.0.1/24' }; Id = 'NetworkSubnetInvalid' }
        @{ Case = 'a public subnet'; New = @{ Name = 'osvps-test-bad'; Subnet = '8.8.8.0/24' }; Id = 'NetworkSubnetInvalid' }
        @{ Case = 'a subnet the network has'; New = @{ Name = 'osvps-test-bad'; Subnet = 'SAME' }; Id = 'NetworkSubnetInUse' }
        @{ Case = 'a name that exists'; New = @{ Name = 'SAME'; }; Id = 'NetworkExists' }
        @{ Case = 'a name that is none'; New = @{ Name = 'Bad_Name' }; Id = 'NetworkNameInvalid' }
        @{ Case = 'a network the connection lacks'; Start = @{ Network = 'osvps-test-none' }; Id = 'NetworkNotFound' }
        @{ Case = '-Forward with -Network'; Start = @{ Network = 'SAME'; Forward = '18080:8000' }; Id = 'LibvirtNotSupported' }
    ) {
        if (Skip-Without) { return }
        $networksBefore = @(Virsh net-list --all --name)
        $domainsBefore = @(Virsh list --all --name)
        $hostsBefore = (Virsh net-dumpxml $net) -join "`n"
        if ($New) {
            $arguments = @{} + $New
            if ($arguments.Name -eq 'SAME') { $arguments.Name = $net }
            if ($arguments.Subnet -eq 'SAME') { $arguments.Subnet = $made.Subnet }
            New-OsvNetwork @arguments -Connection $uri -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        }
        else {
            $arguments = @{} + $Start
            if ($arguments.Network -eq 'SAME') { $arguments.Network = $net }
            Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name "lv-$run-$m-bad" -BootMode $mode @arguments -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        }
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        if ($Id -eq 'LibvirtNotSupported') { $err[0].Exception.Message | Should -Match 'passt' }
        @(Virsh net-list --all --name) | Should -Be $networksBefore
        @(Virsh list --all --name) | Should -Be $domainsBefore
        (Virsh net-dumpxml $net) -join "`n" | Should -Be $hostsBefore
    }

    It 'refuses a name the network''s DNS has already (another guest''s record), and keeps that record' {
        if (Skip-Without) { return }
        $taken = "lv-$run-$m-taken"
        $record = "<host ip='$prefix.9'><hostname>$taken</hostname></host>"
        Virsh net-update $net add dns-host $record --live --config | Out-Null
        $domainsBefore = @(Virsh list --all --name)
        Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name $taken -Network $net -BootMode $mode -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NetworkNameTaken,*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $err[0].Exception.Message | Should -Match 'net-update .* delete dns-host'
        @(Virsh list --all --name) | Should -Be $domainsBefore
        $hosts = @(([xml]((Virsh net-dumpxml $net) -join "`n")).network.dns.host | Where-Object { $_.hostname -eq $taken })
        $hosts.Count | Should -Be 1
        $hosts[0].ip | Should -Be "$prefix.9"
        Virsh net-update $net delete dns-host $record --live --config | Out-Null
    }

    It 'Remove-OsvNetwork refuses while an instance runs on it; -WhatIf changes nothing; -Force stops it and leaves no network or bridge' {
        if (Skip-Without) { return }
        $running = Get-OsvInstance $web -Connection $uri
        $running.State | Should -Be 'Running' -Because "$($running.Reason)"
        Remove-OsvNetwork $net -Connection $uri -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused.Count | Should -Be 1 -Because "$(@(Get-OsvNetwork -Connection $uri | Out-String -Width 300))"
        $refused[0].FullyQualifiedErrorId | Should -Be 'NetworkInUse,OsvPS.Commands.RemoveOsvNetworkCommand'
        $refused[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $refused[0].Exception.Message | Should -Match ([regex]::Escape($web))
        Remove-OsvNetwork $net -Connection $uri -Force -WhatIf
        (Get-OsvInstance $web -Connection $uri).State | Should -Be 'Running'
        @(Virsh net-list --name | ForEach-Object { "$_".Trim() }) | Should -Contain $net
        $bridge = $made.Bridge
        Get-OsvNetwork $net -Connection $uri | Remove-OsvNetwork -Force -Confirm:$false
        (Get-OsvInstance $web -Connection $uri).State | Should -Be 'Stopped'
        @(Virsh net-list --all --name | ForEach-Object { "$_".Trim() }) | Should -Not -Contain $net
        @(& ip -br link | ForEach-Object { ($_ -split '\s+')[0] }) | Should -Not -Contain $bridge
        Test-ProcessGone $dnsPid | Should -BeTrue -Because 'the network''s dnsmasq went with it'
    }
}

Describe 'An instance on a libvirt network with a DHCP range (as libvirt''s default has), booted from the kernel' {
    BeforeAll {
        $net = "osvps-test-$run-r"
        $bridge = "osvlv-$run-r"
        $dynamic = "lv-$run-r-dhcp"
        $static = "lv-$run-r-static"
        if ($why) { return }
        # A /29 whose every guest address is in the DHCP range, made with virsh (as a user's own network would be).
        $file = Join-Path $TestDrive "$net.xml"
        Set-Content -LiteralPath $file -Value "<network><name>$net</name><bridge name='$bridge'/><ip address='10.233.0.1' netmask='255.255.255.248'><dhcp><range start='10.233.0.2' end='10.233.0.6'/></dhcp></ip></network>"
        Virsh net-define $file | Out-Null
        Virsh net-start $net | Out-Null
        # A guest that takes its address by DHCP: on the network's bridge, not through OsvPS's address scheme.
        Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name $dynamic -Network Bridge -Bridge $bridge -BootMode Kernel -WarningAction SilentlyContinue | Out-Null
        $leased = $null
        foreach ($try in 1..150) {
            $leased = @(Virsh net-dhcp-leases $net | Where-Object { "$_" -match '\s(10\.233\.0\.\d+)/29\s' } | ForEach-Object { $Matches[1] })[0]
            if ($leased) { break }
            Start-Sleep -Milliseconds 200
        }
    }

    It 'takes the first address in the range that neither a record nor a lease holds, reserves it with a DHCP host record, and gives both back when stopped' {
        if (Skip-Without) { return }
        $leased | Should -Match '^10\.233\.0\.[2-6]$' -Because 'the DHCP guest got a lease'
        $expected = @(2..6 | ForEach-Object { "10.233.0.$_" } | Where-Object { $_ -ne $leased })[0]
        $started = Start-OsvInstance $image -Connection $uri -StoragePool $pool -Name $static -Network $net -BootMode Kernel -WarningAction SilentlyContinue
        @($started.IPAddress) | Should -Be @($expected)
        $mac = ([xml]((Virsh dumpxml "osvps-$static") -join "`n")).domain.devices.interface.mac.address
        foreach ($config in @(), @('--inactive')) {
            $xml = [xml]((Virsh net-dumpxml $net @config) -join "`n")
            $reserved = @($xml.network.ip.dhcp.host)
            $reserved.Count | Should -Be 1
            ($reserved[0].mac, $reserved[0].name, $reserved[0].ip) | Should -Be @($mac, $static, $expected)
            $xml.network.dns.host.ip | Should -Be $expected
            $xml.network.dns.host.hostname | Should -Be $static
        }
        Get-Eth0 $static | Should -Be @("eth0: $expected")
        Stop-OsvInstance $static -Connection $uri -Force | Out-Null
        foreach ($config in @(), @('--inactive')) {
            $xml = [xml]((Virsh net-dumpxml $net @config) -join "`n")
            $xml.network.ip.dhcp.host | Should -BeNullOrEmpty
            $xml.network.dns.host | Should -BeNullOrEmpty
        }
    }
}
