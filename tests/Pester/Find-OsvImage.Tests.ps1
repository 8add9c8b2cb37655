BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $env:CAPSTAN_ROOT = Join-Path $TestDrive 'capstan'
    $server = New-TestReleaseSite $TestDrive
}

AfterAll {
    $server.Stop.Invoke()
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Find-OsvImage' {
    It 'lists the loader of the latest release with its kernel, downloading nothing' {
        $offer = Find-OsvImage -Source $server.Url
        $offer.Name | Should -Be 'osv-loader'
        $offer.Variant | Should -Be 'default'
        $offer.Release | Should -Be 'v0.57.0'
        $offer.Asset | Should -Be 'osv-loader.qemu.x86_64'
        $offer.Size | Should -Be 1MB
        $offer.KernelAsset | Should -Be 'osv-loader.elf.x86_64.gz'
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'repository') | Should -BeFalse
    }

    It 'searches every release with *, a tag, and a variant' {
        (Find-OsvImage '*' -Source $server.Url).Release | Sort-Object | Should -Be @('v0.56.0', 'v0.57.0')
        (Find-OsvImage v0.56.0 -Source $server.Url).KernelAsset | Should -BeNullOrEmpty
        Find-OsvImage -Variant microvm -Source $server.Url | Should -BeNullOrEmpty
    }

    It 'reports ReleaseNotFound for an unknown tag' {
        Find-OsvImage v1.0.0 -Source $server.Url -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ReleaseNotFound,*'
    }
}
