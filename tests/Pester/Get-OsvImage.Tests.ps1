BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $root = New-TestRepository (Join-Path $TestDrive 'capstan')
    # An image laid out by Capstan: namespaced, with its own index.yaml.
    $capstanImage = Join-Path $root 'repository/mike/osv-loader'
    New-Item -ItemType Directory -Force $capstanImage | Out-Null
    Copy-Item (Join-Path $root 'repository/osv-loader/osv-loader.qemu') (Join-Path $capstanImage 'osv-loader.qemu')
    Set-Content (Join-Path $capstanImage 'index.yaml') "format_version: `"1`"`nversion: v0.57.0`ncreated: 2023-05-06 07:08`ndescription: OSv Bootloader`nbuild: capstan`n"
}

AfterAll { $env:CAPSTAN_ROOT = $savedRoot }

Describe 'Get-OsvImage' {
    It 'lists every image, Capstan-made ones included, sorted by name' {
        (Get-OsvImage).Name | Should -Be @('mike/osv-loader', 'osv-loader')
    }

    It 'reads index.yaml metadata' {
        $image = Get-OsvImage mike/osv-loader
        $image.Version | Should -Be 'v0.57.0'
        $image.Description | Should -Be 'OSv Bootloader'
        $image.Created | Should -Be ([datetime]'2023-05-06 07:08')
        $image.Format | Should -Be 'Raw'
        $image.VirtualSize | Should -Be 1MB
        $image.FileSize | Should -Be 1MB
        "$image" | Should -Be 'mike/osv-loader'
    }

    It 'shows no creation time for an image whose index.yaml has none, and the build platform of built ones' {
        (Get-OsvImage osv-loader).Created | Should -BeNullOrEmpty
        $project = Join-Path $TestDrive 'platformed'
        New-OsvProject $project -BootCommand /x | Out-Null
        Set-Content (Join-Path $project 'x') 'stand-in program'
        $built = Build-OsvImage $project
        $built.Platform | Should -Not -BeNullOrEmpty
        $built.Platform | Should -Not -Be 'x86_64'
        if (Test-Path /etc/os-release) {
            $id = (Get-Content /etc/os-release | Where-Object { $_ -like 'ID=*' }) -replace '^ID=', '' -replace '"', ''
            $built.Platform | Should -BeLike "$id*"
        }
        ($built | Format-Table | Out-String) | Should -Match ([regex]::Escape($built.Platform))
        (Get-OsvProject $project).Package.Platform | Should -Be $built.Platform
    }

    It 'filters with wildcards' {
        (Get-OsvImage 'mike/*').Name | Should -Be 'mike/osv-loader'
        Get-OsvImage 'nothing*' | Should -BeNullOrEmpty
    }

    It 'reports ImageNotFound for a missing name' {
        Get-OsvImage missing -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageNotFound,*'
        $err[0].TargetObject | Should -Be 'missing'
    }

    It 'reports NamePatternInvalid for a name that is not a wildcard pattern, and goes on' {
        $found = Get-OsvImage 'a[', 'osv-loader' -ErrorVariable err -ErrorAction SilentlyContinue
        $found.Name | Should -Be 'osv-loader'
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NamePatternInvalid,*'
        $err[0].TargetObject | Should -Be 'a['
    }

    It 'shows a table with the format and sizes' {
        $text = Get-OsvImage osv-loader | Out-String
        $text | Should -Match 'osv-loader\s+Raw\s+1\.0 MiB\s+1\.0 MiB'
    }
}
