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

    It 'gives up after -Timeout with WaitTimedOut, leaving the guest running' {
        Start-OsvInstance demo-hang -Name slow | Out-Null
        Wait-OsvInstance slow -Timeout ([TimeSpan]::FromMilliseconds(300)) -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'WaitTimedOut,*'
        (Get-OsvInstance slow).State | Should -Be 'Running'
        Stop-OsvInstance slow -Force -Confirm:$false
    }
}
