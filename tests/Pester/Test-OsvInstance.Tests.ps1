# Test-OsvInstance on the stand-in guest (its console line is the one thing it "serves"); probes over forwards
# against a real server in the guest are in Readiness.RealOsv.Tests.ps1.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $demo = New-InstanceTestSetup $TestDrive
    Build-OsvImage $demo | Out-Null
    Build-OsvImage $demo -Name demo-hang -LoaderImage hang-loader | Out-Null
    $limit = 60
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Test-OsvInstance' {
    BeforeAll {
        Start-OsvInstance demo-hang -Name up -WaitReady 'console:^OSVPS-STANDIN cmdline: ' -Timeout $limit | Out-Null
        Start-OsvInstance demo -Name down | Out-Null
        Wait-OsvInstance down -Timeout $limit | Out-Null
    }

    AfterAll { Get-OsvInstance | Remove-OsvInstance -Force -Confirm:$false -ErrorAction SilentlyContinue }

    It 'without -Probe says whether each instance is running, as objects a runbook filters' {
        $results = @(Test-OsvInstance up, down)
        $results.Count | Should -Be 2
        ($results[0].Name, $results[0].Probe, $results[0].Ready, $results[0].Detail) | Should -Be @('up', 'running', $true, 'Running')
        ($results[1].Name, $results[1].Ready, $results[1].Detail) | Should -Be @('down', $false, 'Stopped')
        $results[0].Checked | Should -BeOfType [DateTime]
        $results[0].Elapsed | Should -BeOfType [TimeSpan]
        @($results | Where-Object Ready).Name | Should -Be @('up')
    }

    It 'takes instances from Get-OsvInstance and wildcards' {
        (Get-OsvInstance up | Test-OsvInstance).Name | Should -Be 'up'
        @(Test-OsvInstance 'd*').Name | Should -Be @('down')
    }

    It 'checks a console probe: Ready with the line, or not yet' {
        $found = Test-OsvInstance up -Probe 'console:^OSVPS-STANDIN cmdline: .*runscript'
        $found.Ready | Should -BeTrue
        $found.Detail | Should -Be 'line: OSVPS-STANDIN cmdline: --power-off-on-abort --verbose runscript /run/default;'
        $missing = Test-OsvInstance up -Probe 'console:never printed'
        ($missing.Ready, $missing.Detail) | Should -Be @($false, 'no such line yet')
    }

    It 'reports a probe the instance gives no way in, and an unknown name, as errors of those items; the others go on' {
        $results = @(Test-OsvInstance up, nosuch, down -Probe tcp:80 -ErrorVariable err -ErrorAction SilentlyContinue)
        ($results | ForEach-Object Name) | Should -Be @('down')
        $results[0].Detail | Should -Be 'Stopped'
        ($err | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] }) | Should -Be @('ReadinessProbeUnreachable', 'InstanceNotFound')
        $err[0].Exception.Message | Should -BeLike "tcp:80: instance 'up' forwards no tcp port to guest port 80 (its forwards: none)*"
    }

    It 'refuses a bad probe before it checks anything' {
        { Test-OsvInstance up -Probe 'tcp:abc' } | Should -Throw -ExpectedMessage "*'tcp:abc' is not a readiness probe*"
    }
}

Describe 'Wait-OsvInstance -Ready (stand-in guest)' {
    It 'returns a running instance once its console matches, and NotReady for one that has ended' {
        Start-OsvInstance demo-hang -Name waitline | Out-Null
        $ready = Wait-OsvInstance waitline -Ready 'console:^OSVPS-STANDIN cmdline: ' -Timeout $limit
        ($ready.Name, $ready.State) | Should -Be @('waitline', 'Running')
        Stop-OsvInstance waitline -Force -Confirm:$false | Out-Null
        Wait-OsvInstance waitline -Ready 'console:anything' -Timeout $limit -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotReady,*'
        $err[0].Exception.Message | Should -BeLike "instance 'waitline' is not running, so it will not be ready (console:anything): Stopped*"
    }

    It 'gives NotReady after -Timeout with the console''s last lines, leaving the instance running' {
        Start-OsvInstance demo-hang -Name slowline -WaitReady 'console:^OSVPS-STANDIN cmdline: ' -Timeout $limit | Out-Null
        Wait-OsvInstance slowline -Ready 'console:never printed' -Timeout 2 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotReady,*'
        $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err[0].Exception.Message | Should -BeLike "instance 'slowline' was not ready after 2 s (console:never printed; last check: no such line yet); it keeps running (Stop-OsvInstance slowline).*OSVPS-STANDIN cmdline: *"
        (Get-OsvInstance slowline).State | Should -Be 'Running'
        Stop-OsvInstance slowline -Force -Confirm:$false | Out-Null
    }
}
