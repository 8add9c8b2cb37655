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

Describe 'Remove-OsvInstance' {
    It 'removes a stopped instance and its folder' {
        $instance = Start-OsvInstance demo -Name gone -Wait -Timeout ([TimeSpan]::FromSeconds(30)) | Select-Object -Last 1
        Remove-OsvInstance gone -Confirm:$false
        Test-Path $instance.Path | Should -BeFalse
        Get-OsvInstance gone -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses a running instance without -Force' {
        $instance = Start-OsvInstance demo-hang -Name busy
        Remove-OsvInstance busy -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InstanceRunning,*'
        (Get-OsvInstance busy).State | Should -Be 'Running'
        Get-OsvInstance busy | Remove-OsvInstance -Force -Confirm:$false
        Test-ProcessGone $instance.Pid | Should -BeTrue
        Test-Path $instance.Path | Should -BeFalse
    }

    It 'has ConfirmImpact Medium' {
        (Get-Command Remove-OsvInstance).ImplementingType.GetCustomAttributes([Management.Automation.CmdletAttribute], $false).ConfirmImpact | Should -Be 'Medium'
    }
}
