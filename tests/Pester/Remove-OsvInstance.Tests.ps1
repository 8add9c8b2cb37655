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

    It 'writes nothing, or with -PassThru each removed instance as it last was' {
        Start-OsvInstance demo -Name kept-record -Wait -Timeout ([TimeSpan]::FromSeconds(30)) | Out-Null
        Start-OsvInstance demo -Name quiet -Wait -Timeout ([TimeSpan]::FromSeconds(30)) | Out-Null
        Remove-OsvInstance quiet -Confirm:$false | Should -BeNullOrEmpty
        $removed = @(Remove-OsvInstance kept-record -PassThru -Confirm:$false)
        $removed.Count | Should -Be 1
        $removed[0].Name | Should -Be 'kept-record'
        $removed[0].State | Should -Be 'Stopped'
        $removed[0].ExitCode | Should -Be 0
        Test-Path $removed[0].Path | Should -BeFalse
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

    It 'reports a damaged instance only when it is asked for, and removes it with -Force as its error says' {
        $folder = Join-Path $env:CAPSTAN_ROOT 'instances/qemu/damaged'
        New-Item -ItemType Directory -Force $folder | Out-Null
        Set-Content -LiteralPath (Join-Path $folder 'instance.state') -Value "image=demo`nqemu_command=@@@ not base64 @@@"
        Remove-OsvInstance 'zz*' -Confirm:$false -ErrorVariable none -ErrorAction SilentlyContinue
        $none.Count | Should -Be 0 -Because 'a wildcard that matches nothing is no error, whatever else is listed'
        Remove-OsvInstance damaged -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InstanceStateInvalid,*'
        $err[0].TargetObject | Should -Be 'damaged'
        Test-Path $folder | Should -BeTrue
        Remove-OsvInstance 'dam*' -Force -Confirm:$false -ErrorVariable forced -ErrorAction SilentlyContinue
        $forced.Count | Should -Be 0
        Test-Path $folder | Should -BeFalse
    }

    It 'has ConfirmImpact Medium' {
        (Get-Command Remove-OsvInstance).ImplementingType.GetCustomAttributes([Management.Automation.CmdletAttribute], $false).ConfirmImpact | Should -Be 'Medium'
    }
}
