# Three unikernels on one network, end to end, on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv):
# examples/services.ps1 (nginx in front of a Python application that keeps a counter in redis, all reached by
# instance name on an OsvPS network, one forward from 127.0.0.1) run inside a network namespace this test makes, so
# the bridge, taps, dnsmasq and QEMUs never touch the host's network; the namespace, with anything left in it, is
# deleted at the end. The example prints "result ..." lines; each fact is asserted here.
BeforeDiscovery {
    $modes = @('Kernel', 'Disk')
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $osv = Find-RealOsv
    $blocker = if (-not $osv.Loader) { $osv.Reason } else { Get-NetworkTestBlocker }
    foreach ($package in 'redis-server', 'python3', 'nginx-light') {
        if (-not $blocker) { $blocker = Get-DebianSkipReason $package }
    }
    $module = Get-OsvTestModulePath
    $example = Join-Path $PSScriptRoot '../../examples/services.ps1'
    function Get-Result($Lines, [string] $Tag) { @($Lines | Where-Object { $_.StartsWith("result ${Tag}: ") } | ForEach-Object { $_.Substring("result ${Tag}: ".Length) }) | Select-Object -First 1 }
}

AfterAll {
    if (-not $blocker) { Remove-TestNetNamespaces }
}

Describe 'nginx, a Python application and redis on one network, booted from <_>' -ForEach $modes {
    BeforeAll {
        $mode = $_
        if ($blocker) { return }
        $ns = New-TestNetNamespace
        $root = Join-Path $TestDrive "capstan-$mode"
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$PSScriptRoot/TestHelpers.psm1'
Import-Module '$module'
New-RealOsvRepository '$root' (Find-RealOsv) | Out-Null
& '$example' -Folder '$(Join-Path $TestDrive "services-$mode")' -BootMode $mode -Port 18080 -Seconds 240
"@
        $lines = @(Invoke-PwshInNamespace $ns $script | ForEach-Object { "$_" })
        $left = @(& ip netns pids $ns)
        Remove-TestNetNamespace $ns
    }

    It 'answers through the proxy''s one forward with the counter the application keeps in redis, each reached by name' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        $first = Get-Result $lines 'first'
        $first | Should -Match '^200 v1 count=(\d+)$' -Because ($lines -join "`n")
        $second = Get-Result $lines 'second'
        $second | Should -Match '^200 v1 count=(\d+)$'
        [int]($second -replace '.*count=') | Should -BeGreaterThan ([int]($first -replace '.*count='))
        @($lines | Where-Object { $_ -like 'started: *' })[0] | Should -Match '^started: redis 10\.\d+\.\d+\.\d+ app 10\.\d+\.\d+\.\d+ proxy 10\.\d+\.\d+\.\d+ in '
    }

    It 'answers an error while redis is stopped, and the counter again once redis is started under its name' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        # The network's dnsmasq answers a name no instance holds with NXDOMAIN at once (not a refusal the resolver waits out).
        Get-Result $lines 'redis stopped' | Should -Match '^503 v1 error: redis: \[Errno -2\] Name does not resolve$' -Because ($lines -join "`n")
        Get-Result $lines 'redis again' | Should -Match '^200 v1 count=\d+$'
    }

    It 'replaces the application under a loop of requests through the proxy, and no request fails' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        $loop = Get-Result $lines 'loop'
        $loop | Should -Match '^\d+ requests, [1-9]\d* v1, [1-9]\d* v2, 0 failed$' -Because ($lines -join "`n")
        $loop | Should -Not -Match ', 0 v2,' -Because 'the replacement answered during the loop'
        Get-Result $lines 'v1 after v2' | Should -Be '0' -Because 'once the replacement answered, the name never led back to the old one'
        Get-Result $lines 'after' | Should -Match '^200 v2 count=\d+$'
        @($lines | Where-Object { $_ -like 'replaced: *' })[0] | Should -Match '^replaced: app-2 10\.'
    }

    It 'keeps the application serving when its replacement never gets ready; nothing is left in the namespace' {
        if ($blocker) { Set-ItResult -Skipped -Because $blocker; return }
        Get-Result $lines 'broken' | Should -BeLike 'NotReady,*' -Because ($lines -join "`n")
        Get-Result $lines 'serves on' | Should -Match '^200 v2 count=\d+$'
        $left | Should -BeNullOrEmpty -Because 'the example removed its network and instances'
    }
}
