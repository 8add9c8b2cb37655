# Update-OsvInstance on the real OSv kernel (OSVPS_TEST_OSV, else /var/lib/osvps/test-osv): a running server replaced by a
# new image under a loop of requests, its forward moved through QEMU's monitor; a replacement that never gets ready leaves
# the old one serving. The server is osv-probe's 'serve PORT TEXT' (tests/fixtures/osv-probe.c), one image per version.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $osv = Find-RealOsv
    if ($osv.Loader) {
        New-RealOsvRepository (Join-Path $TestDrive 'capstan') $osv | Out-Null
        $probe = New-OsvProbe (Join-Path $TestDrive 'probe')
        $images = @{}
        foreach ($version in 'v1', 'v2') {
            $project = Join-Path $TestDrive $version
            New-OsvProject $project -BootCommand "/probe serve 8080 app-$version" | Out-Null
            Add-OsvBinary $probe -Project $project -WarningAction SilentlyContinue | Out-Null
            $images[$version] = Build-OsvImage $project -WarningAction SilentlyContinue
        }
    }

    # One HTTP GET of 127.0.0.1:$Port: the body, or 'FAILED: why'.
    function Get-Answer([int] $Port) {
        try { (Invoke-WebRequest "http://127.0.0.1:$Port/" -TimeoutSec 5 -UseBasicParsing).Content.Trim() }
        catch { "FAILED: $($_.Exception.Message)" }
    }
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Update-OsvInstance replaces a running server, booted from <_>' -ForEach @('Kernel', 'Disk') {
    BeforeAll { $mode = $_ }
    AfterAll { Remove-TestInstances }

    It 'under a loop of requests, no request fails: the answers go from the old image to the new; the forward moves and the old one stops' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        $old = Start-OsvInstance $images.v1 -Name "web-$mode" -BootMode $mode -Forward "${port}:8080" -WaitReady tcp:8080 -Timeout 120
        Get-Answer $port | Should -Be 'app-v1'
        # The loop: one request every 20 ms until 2 s after the replace returned (a file says so), 600 requests at most;
        # a refused or cut request prints FAILED.
        $loop = Join-Path $TestDrive "loop-$mode.log"
        $done = Join-Path $TestDrive "loop-$mode.done"
        $script = Join-Path $TestDrive "loop-$mode.sh"
        Set-Content -LiteralPath $script -Value "for i in `$(seq 1 600); do [ -e '$done' ] && break; curl -s -m 5 http://127.0.0.1:$port/ || echo FAILED; sleep 0.02; done > '$loop' 2>&1"
        $client = Start-Process bash -ArgumentList $script -PassThru
        try {
            Start-Sleep -Milliseconds 500
            $new = Update-OsvInstance "web-$mode" $images.v2 -Timeout 120 -Verbose 4>&1 | Tee-Object -Variable said | Where-Object { $_.PSObject.TypeNames -contains 'OsvPS.Core.Models.OsvInstance' }
            Start-Sleep -Seconds 2
            Set-Content -LiteralPath $done -Value done
            $client.WaitForExit(90000) | Should -BeTrue -Because 'the loop is bounded'
        }
        finally { if (-not $client.HasExited) { $client.Kill() } }
        $answers = @(Get-Content -LiteralPath $loop)
        $answers.Count | Should -BeGreaterThan 20 -Because 'the loop ran through the replace'
        @($answers | Where-Object { $_ -notin 'app-v1', 'app-v2' }) | Should -BeNullOrEmpty -Because 'no request may fail while the forward moves'
        $answers | Should -Contain 'app-v1'
        $answers | Should -Contain 'app-v2'
        $answers[-1] | Should -Be 'app-v2'
        ([array]::LastIndexOf($answers, 'app-v1')) | Should -BeLessThan ([array]::IndexOf($answers, 'app-v2')) -Because 'once the new one answers, the old one does not'
        $new.Name | Should -Be "web-$mode-2"
        $new.State | Should -Be 'Running'
        $new.Forwards | Should -Be @("tcp:127.0.0.1:${port}:8080")
        ($said | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match "tcp:127.0.0.1:${port}:8080 moved from 'web-$mode' to 'web-$mode-2': no listener for [0-9.]+ ms"
        $gone = Get-OsvInstance "web-$mode"
        $gone.State | Should -Be 'Stopped'
        @($gone.Forwards) | Should -BeNullOrEmpty
        Test-ProcessGone $old.Pid | Should -BeTrue
        Get-Answer $port | Should -Be 'app-v2'
    }
}

Describe 'Update-OsvInstance when the replacement does not get ready' {
    AfterAll { Remove-TestInstances }

    It 'stops a replacement that ends first, at once, and the old instance serves on: NotReady with both consoles' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        Start-OsvInstance $images.v1 -Name keep -BootMode Kernel -Forward "${port}:8080" -WaitReady tcp:8080 -Timeout 120 | Out-Null
        $err = $null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Update-OsvInstance keep $images.v2 -CommandLine '/probe args never serves' -Timeout 120 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 100 -Because 'an ended replacement fails the wait at once, not at the timeout'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotReady,*' -Because "$($err[0].Exception.Message) $((Get-OsvInstance keep | Format-List * | Out-String)) $(Get-OsvInstanceLog keep)"
        $err[0].Exception.Message | Should -Match "the replacement 'keep-2' of 'keep' never got ready"
        $err[0].Exception.Message | Should -Match 'arg\[0\]=<never>' -Because "the replacement's console is in the message"
        $err[0].Exception.Message | Should -Match "The console of 'keep' ends:[\s\S]*serving on 8080"
        (Get-OsvInstance keep).State | Should -Be 'Running'
        (Get-OsvInstance keep).Forwards | Should -Be @("tcp:127.0.0.1:${port}:8080")
        (Get-OsvInstance keep-2).State | Should -BeIn @('Stopped', 'Failed')
        Get-Answer $port | Should -Be 'app-v1'
    }

    It 'gives up at -Timeout on a replacement that runs but never answers; the old instance serves on' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        Start-OsvInstance $images.v1 -Name slow -BootMode Kernel -Forward "${port}:8080" -WaitReady tcp:8080 -Timeout 120 | Out-Null
        Update-OsvInstance slow $images.v2 -CommandLine '/probe serve 9090 elsewhere' -Timeout 6 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotReady,*'
        $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        (Get-OsvInstance slow-2).State | Should -Not -Be 'Running' -Because 'the replacement that never got ready is stopped'
        Get-Answer $port | Should -Be 'app-v1'
    }

    It 'with -WhatIf says the steps and starts nothing' {
        if (Skip-WithoutOsv $osv) { return }
        $port = Get-FreePort
        Start-OsvInstance $images.v1 -Name plan -BootMode Kernel -Forward "${port}:8080" | Out-Null
        $before = @(Get-OsvInstance).Count
        # PowerShell writes "What if:" to the host, so a fresh pwsh says it on its output.
        $said = Invoke-FreshPwsh "`$env:CAPSTAN_ROOT = '$($env:CAPSTAN_ROOT)'; Import-Module '$(Get-OsvTestModulePath)'; Update-OsvInstance plan '$($images.v2.Path)' -WhatIf"
        ($said -join "`n") | Should -Match "What if: .*Start 'plan-2' of '.*v2.*' beside 'plan'"
        ($said -join "`n") | Should -Match "Wait until 'plan-2' answers tcp:8080"
        ($said -join "`n") | Should -Match "Move the forwards tcp:127.0.0.1:${port}:8080 from 'plan' to 'plan-2'"
        ($said -join "`n") | Should -Match "Stop 'plan'"
        @(Get-OsvInstance).Count | Should -Be $before
    }

    It 'refuses what it cannot replace: <Case>' -ForEach @(
        @{ Case = 'an instance that is not running'; Id = 'InstanceNotRunning' }
        @{ Case = 'no TCP forward and no -WaitReady'; Id = 'ReadinessProbeUnreachable' }
    ) {
        if (Skip-WithoutOsv $osv) { return }
        $name = if ($Id -eq 'InstanceNotRunning') { 'ended' } else { 'noforward' }
        if ($Id -eq 'InstanceNotRunning') { Start-OsvInstance $images.v1 -Name $name -BootMode Kernel -CommandLine '/probe args x' -Wait -Timeout 60 | Out-Null }
        else { Start-OsvInstance $images.v1 -Name $name -BootMode Kernel | Out-Null }
        $before = @(Get-OsvInstance).Count
        Update-OsvInstance $name $images.v2 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        @(Get-OsvInstance).Count | Should -Be $before -Because 'nothing was started'
    }
}
