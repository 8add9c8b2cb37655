BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    New-TestRepository (Join-Path $TestDrive 'capstan') | Out-Null
    $loader = New-StandInLoader (Join-Path $TestDrive 'loader.img')
}

AfterAll { $env:CAPSTAN_ROOT = $savedRoot }

Describe 'Import-OsvImage' {
    It 'imports a raw loader under a name and writes index.yaml' {
        $image = Import-OsvImage $loader -Name custom-loader -Description 'my loader' -Version v1
        $image.Name | Should -Be 'custom-loader'
        $image.Format | Should -Be 'Raw'
        $image.Description | Should -Be 'my loader'
        $image.Version | Should -Be 'v1'
        Get-Content -Raw (Join-Path $env:CAPSTAN_ROOT 'repository/custom-loader/index.yaml') | Should -Match 'format_version: "1"'
        (Get-FileHash $image.Path).Hash | Should -Be (Get-FileHash $loader).Hash
    }

    It 'detects qcow2 and vmdk by their magic, not their name' {
        $q = Join-Path $TestDrive 'disk.bin'
        & qemu-img convert -f raw -O qcow2 $loader $q
        (Import-OsvImage $q -Name from-qcow).Format | Should -Be 'Qcow2'
        $v = Join-Path $TestDrive 'disk2.bin'
        & qemu-img convert -f raw -O vmdk $loader $v
        $vmdk = Import-OsvImage $v -Name from-vmdk
        $vmdk.Format | Should -Be 'Vmdk'
        $vmdk.VirtualSize | Should -Be 1MB
        $vmdk.Path | Should -BeLike '*from-vmdk.vmdk'
    }

    It 'builds images from an imported loader' {
        $p = Join-Path $TestDrive 'proj'
        New-OsvProject $p -BootCommand /x | Out-Null
        Set-Content (Join-Path $p 'x') 'stand-in program'
        (Build-OsvImage $p -LoaderImage custom-loader).Name | Should -Be 'proj'
    }

    It 'refuses to replace an image without -Force' {
        Import-OsvImage $loader -Name custom-loader -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageExists,*'
        (Import-OsvImage $loader -Name custom-loader -Force -Version v2).Version | Should -Be 'v2'
    }

    It 'imports from Get-ChildItem by property name' {
        (Get-Item $loader | Import-OsvImage -Name piped).Name | Should -Be 'piped'
    }

    It 'writes nothing with -WhatIf' {
        Import-OsvImage $loader -Name whatif -WhatIf
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'repository/whatif') | Should -BeFalse
    }

    It 'reports ImageFileNotFound for a missing file' {
        Import-OsvImage (Join-Path $TestDrive 'missing.img') -Name x -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ImageFileNotFound,*'
    }
}
