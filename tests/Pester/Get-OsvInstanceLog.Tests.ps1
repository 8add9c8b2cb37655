BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $demo = New-InstanceTestSetup $TestDrive
    Build-OsvImage $demo | Out-Null
    Start-OsvInstance demo -Name talk -CommandLine 'line one' -Wait -Timeout ([TimeSpan]::FromSeconds(30)) | Out-Null
}

Describe 'Get-OsvInstanceLog names' {
    It 'refuses a name that would lead out of the instances folder' {
        Get-OsvInstanceLog '../../../etc' -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InstanceNameInvalid,*'
    }
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Get-OsvInstanceLog' {
    It 'reads the console log' {
        Get-OsvInstanceLog talk | Should -Be @('OSVPS-STANDIN cmdline: --power-off-on-abort --verbose line one')
    }

    It 'takes the last lines with -Tail' {
        Get-OsvInstanceLog talk -Tail 0 | Should -BeNullOrEmpty
        Get-OsvInstanceLog talk -Tail 5 | Should -Be @('OSVPS-STANDIN cmdline: --power-off-on-abort --verbose line one')
    }

    It 'follows a running instance with -Wait until it stops' {
        Start-OsvInstance demo -Name follow -CommandLine 'followed' | Out-Null
        $lines = Get-OsvInstanceLog follow -Wait
        $lines | Should -Contain 'OSVPS-STANDIN cmdline: --power-off-on-abort --verbose followed'
        (Get-OsvInstance follow).State | Should -Be 'Stopped'
    }

    It 'binds Name from instances in the pipeline' {
        (Get-OsvInstance talk | Get-OsvInstanceLog) | Should -Be @('OSVPS-STANDIN cmdline: --power-off-on-abort --verbose line one')
    }
}
