BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    New-TestRepository (Join-Path $TestDrive 'capstan') | Out-Null
    $loader = Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.qemu'
}

AfterAll { $env:CAPSTAN_ROOT = $savedRoot }

Describe 'Remove-OsvImage' {
    It 'has ConfirmImpact Medium and takes images from the pipeline' {
        $command = Get-Command Remove-OsvImage
        $command.ImplementingType.GetCustomAttributes([Management.Automation.CmdletAttribute], $false).ConfirmImpact | Should -Be 'Medium'
        ($command.Parameters['InputObject'].Attributes | Where-Object { $_ -is [Parameter] }).ValueFromPipeline | Should -BeTrue
    }

    It 'round-trips with Import-OsvImage' {
        Import-OsvImage $loader -Name ns/temp | Out-Null
        Get-OsvImage ns/temp | Remove-OsvImage -Confirm:$false
        Get-OsvImage ns/temp -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'repository/ns') | Should -BeFalse
    }

    It 'refuses an image instances still run on, naming them, unless -Force' {
        Import-OsvImage $loader -Name in-use | Out-Null
        $instance = Start-OsvInstance in-use -Name user-of-image -CommandLine '/x' -Wait -Timeout 30 | Select-Object -Last 1
        $instance.State | Should -Be 'Stopped'
        Remove-OsvImage in-use -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageInUse,*'
        $err[0].Exception.Message | Should -BeLike '*user-of-image*'
        Get-OsvImage in-use | Should -Not -BeNullOrEmpty
        # -WhatIf says what the real call does: the same refusal, and with -Force the instances it leaves without a backing file.
        Remove-OsvImage in-use -WhatIf -ErrorVariable whatIfErr -ErrorAction SilentlyContinue
        $whatIfErr[0].FullyQualifiedErrorId | Should -BeLike 'ImageInUse,*'
        $said = Invoke-FreshPwsh "`$env:CAPSTAN_ROOT = '$($env:CAPSTAN_ROOT)'; Import-Module '$(Get-OsvTestModulePath)'; Remove-OsvImage in-use -Force -WhatIf"
        ($said -join ' ') | Should -Match 'What if: .*backing file of instance\(s\) user-of-image'
        Get-OsvImage in-use | Should -Not -BeNullOrEmpty
        Remove-OsvImage in-use -Force -Confirm:$false
        Get-OsvImage in-use -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Remove-OsvInstance user-of-image -Confirm:$false
    }

    It 'removes by wildcard and passes the removed images through' {
        Import-OsvImage $loader -Name tmp-a | Out-Null
        Import-OsvImage $loader -Name tmp-b | Out-Null
        (Remove-OsvImage 'tmp-*' -Confirm:$false -PassThru).Name | Should -Be @('tmp-a', 'tmp-b')
        (Get-OsvImage).Name | Should -Be @('osv-loader')
    }

    It 'removes nothing with -WhatIf' {
        Remove-OsvImage osv-loader -WhatIf
        (Get-OsvImage).Name | Should -Be @('osv-loader')
    }

    It 'reports ImageNotFound' {
        Remove-OsvImage nope -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageNotFound,*'
    }
}
