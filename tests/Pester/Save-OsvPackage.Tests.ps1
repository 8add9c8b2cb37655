BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $env:CAPSTAN_ROOT = Join-Path $TestDrive 'capstan'
    New-Item -ItemType Directory -Force (Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader') | Out-Null
    New-StandInLoader (Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.qemu') | Out-Null
    $server = New-TestReleaseSite $TestDrive
}

AfterAll {
    $server.Stop.Invoke()
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Save-OsvPackage' {
    It 'downloads a package into packages/ and lists it' {
        $package = Save-OsvPackage osv.bootstrap -Source $server.Url
        $package.Name | Should -Be 'osv.bootstrap'
        $package.Version | Should -Be 'v0.57.0'
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'packages/osv.bootstrap.mpm') | Should -BeTrue
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'packages/osv.bootstrap.yaml') | Should -BeTrue
        (Get-OsvPackage).Name | Should -Be 'osv.bootstrap'
        (Get-OsvPackage 'nothing*') | Should -BeNullOrEmpty
    }

    It 'fetches what a build misses with -PullMissing' {
        Remove-Item (Join-Path $env:CAPSTAN_ROOT 'packages/*') -Force
        $p = Join-Path $TestDrive 'app'
        New-OsvProject $p -BootCommand /x | Out-Null
        Set-Content (Join-Path $p 'x') 'stand-in program'
        Build-OsvImage $p -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PackageNotFound,*'
        $image = Build-OsvImage $p -PullMissing -Source $server.Url -Format Raw
        $image.Name | Should -Be 'app'
        [Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes($image.Path)).Contains('from-the-release') | Should -BeTrue
    }

    It 'says why -PullMissing could not bring what a build misses, offline' {
        Remove-Item (Join-Path $env:CAPSTAN_ROOT 'packages/*') -Force
        $p = Join-Path $TestDrive 'offline'
        New-OsvProject $p -BootCommand /x | Out-Null
        Set-Content (Join-Path $p 'x') 'stand-in program'
        # A port nothing listens on: the download is refused at once, as offline.
        Build-OsvImage $p -PullMissing -Source "http://127.0.0.1:$(Get-FreePort)" -Format Raw -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err.Count | Should -Be 1
        $err[0].Exception.Message | Should -BeLike 'package osv.bootstrap is not in the repository, and downloading it failed: *'
        $err[0].FullyQualifiedErrorId | Should -Not -BeLike 'PackageNotFound,*' -Because 'the failure is the download, and it says so'
    }

    It 'reports AssetNotFound for a package the release lacks' {
        Save-OsvPackage ghost -Source $server.Url -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AssetNotFound,*'
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'packages/ghost.mpm') | Should -BeFalse
    }
}
