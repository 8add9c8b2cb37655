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

Describe 'Import-OsvImage -ReleaseFolder, as the README''s offline steps use it' {
    BeforeAll { $osv = Find-RealOsv }

    It 'refuses a folder without OSv''s disk loader, writing nothing' {
        $empty = Join-Path $TestDrive 'not-a-release'
        New-Item -ItemType Directory -Force $empty | Out-Null
        Import-OsvImage -ReleaseFolder $empty -Name from-nothing -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ReleaseFolderInvalid,*'
        Get-OsvImage from-nothing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'followed literally in a fresh PowerShell, ends with a kernel boot of the seed''s say_hey' {
        if (-not $osv.Loader) { Set-ItResult -Skipped -Because $osv.Reason; return }
        # The README's block, as written; run where ./osv-release is this machine's real OSv.
        $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../../README.md')
        $block = [regex]::Match($readme, '(?s)Offline, with a folder of OSv.*?```powershell\n(.*?)```').Groups[1].Value
        $block | Should -Match 'Import-OsvImage -ReleaseFolder \./osv-release'
        $base = Join-Path $TestDrive 'offline'
        New-Item -ItemType Directory -Force (Join-Path $base 'work') | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $base 'work/osv-release') -Target $osv.Folder | Out-Null
        # The README's steps run in a clone: its examples/echo.c is there.
        New-Item -ItemType Directory -Force (Join-Path $base 'work/examples') | Out-Null
        Copy-Item (Join-Path $PSScriptRoot '../../examples/echo.c') (Join-Path $base 'work/examples/echo.c')
        $script = "`$ErrorActionPreference = 'Stop'; Set-Location '$(Join-Path $base 'work')'; `$env:CAPSTAN_ROOT = '$(Join-Path $base 'capstan')'; Import-Module '$(Get-OsvTestModulePath)'`n" + $block.TrimEnd().Replace('Start-OsvInstance -Boot say_hey -Wait', 'Start-OsvInstance -Boot say_hey -Wait -Timeout 60') + "`n| ForEach-Object { `"`$_`" }"
        $output = Invoke-FreshPwsh $script
        $text = $output -join "`n"
        $output | Should -Contain 'Hey hey!' -Because $text
        (Get-OsvInstance -ErrorAction SilentlyContinue) | Out-Null
        $instance = Get-ChildItem (Join-Path $base 'capstan/instances/qemu') -Directory
        Get-Content -Raw (Join-Path $instance[0].FullName 'instance.state') | Should -Match 'boot_mode=Kernel'
        # The bootstrap's description came along as the release folder has it (the real build's version).
        $version = @(Get-Content (Join-Path $osv.Folder 'osv.bootstrap.yaml') | Where-Object { $_ -match '^version:' })
        $version | Should -Not -BeNullOrEmpty
        Get-Content (Join-Path $base 'capstan/packages/osv.bootstrap.yaml') | Should -Contain $version[0]
    }
}
