BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $demo = New-InstanceTestSetup $TestDrive
    Build-OsvImage $demo | Out-Null
    Build-OsvImage $demo -Name demo-hang -LoaderImage hang-loader | Out-Null
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Wait-OsvInstance' {
    It 'returns when the guest powers off' {
        Start-OsvInstance demo -Name quick | Out-Null
        $instance = Wait-OsvInstance quick -Timeout ([TimeSpan]::FromSeconds(30))
        $instance.State | Should -Be 'Stopped'
        Get-OsvInstanceLog quick | Should -Contain 'OSVPS-STANDIN cmdline: --power-off-on-abort --verbose runscript /run/default;'
    }

    It 'shows progress with the seconds left of -Timeout while it waits' {
        Start-OsvInstance demo-hang -Name watched | Out-Null
        $run = Invoke-WithProgress 'Wait-OsvInstance watched -Timeout 2 -ErrorAction SilentlyContinue'
        $records = @($run.Progress | Where-Object Activity -eq "Waiting for 'watched'")
        $records.Count | Should -BeGreaterThan 2
        $running = @($records | Where-Object RecordType -eq 'Processing')
        $running[-1].PercentComplete | Should -BeGreaterThan $running[0].PercentComplete
        $running[0].SecondsRemaining | Should -BeGreaterThan 0
        $running[0].SecondsRemaining | Should -BeLessOrEqual 2
        $records[-1].RecordType | Should -Be 'Completed'
        Stop-OsvInstance watched -Force -Confirm:$false
    }

    It 'gives up after -Timeout with WaitTimedOut, leaving the guest running' {
        Start-OsvInstance demo-hang -Name slow | Out-Null
        Wait-OsvInstance slow -Timeout ([TimeSpan]::FromMilliseconds(300)) -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'WaitTimedOut,*'
        (Get-OsvInstance slow).State | Should -Be 'Running'
        Stop-OsvInstance slow -Force -Confirm:$false
    }
}
