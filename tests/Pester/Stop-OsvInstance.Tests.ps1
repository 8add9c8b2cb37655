BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $demo = New-InstanceTestSetup $TestDrive
    Build-OsvImage $demo -Name demo-hang -LoaderImage hang-loader | Out-Null
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Stop-OsvInstance' {
    It 'has ConfirmImpact Medium and binds Name from instances' {
        $command = Get-Command Stop-OsvInstance
        $command.ImplementingType.GetCustomAttributes([Management.Automation.CmdletAttribute], $false).ConfirmImpact | Should -Be 'Medium'
        ($command.Parameters['Name'].Attributes | Where-Object { $_ -is [Parameter] }).ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'asks for a power-down, then makes QEMU quit after -Timeout' {
        $instance = Start-OsvInstance demo-hang -Name graceful
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $stopped = Get-OsvInstance graceful | Stop-OsvInstance -Timeout ([TimeSpan]::FromSeconds(1)) -Confirm:$false -PassThru
        $watch.Elapsed.TotalSeconds | Should -BeGreaterThan 0.9 -Because 'the stand-in ignores the power button, so the timeout must pass'
        $stopped.State | Should -Be 'Stopped'
        Test-ProcessGone $instance.Pid | Should -BeTrue
    }

    It 'quits at once with -Force' {
        $instance = Start-OsvInstance demo-hang -Name forced
        (Stop-OsvInstance forced -Force -Confirm:$false -PassThru).State | Should -Be 'Stopped'
        Test-ProcessGone $instance.Pid | Should -BeTrue
    }

    It 'stops nothing with -WhatIf' {
        Start-OsvInstance demo-hang -Name whatif | Out-Null
        Stop-OsvInstance whatif -WhatIf
        (Get-OsvInstance whatif).State | Should -Be 'Running'
        Stop-OsvInstance whatif -Force -Confirm:$false
    }

    It 'reports InstanceNotFound' {
        Stop-OsvInstance nope -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InstanceNotFound,*'
    }
}
