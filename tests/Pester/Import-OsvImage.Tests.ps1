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

    It 'writes one image, dated when its file was made, that reads as one table in any culture, 80 columns wide' {
        $release = Join-Path $TestDrive 'release-one'
        New-Item -ItemType Directory -Force $release | Out-Null
        Copy-Item -LiteralPath $loader (Join-Path $release 'osv-loader.qemu.x86_64')
        (Get-Item (Join-Path $release 'osv-loader.qemu.x86_64')).LastWriteTimeUtc = [datetime]::new(2025, 3, 4, 5, 6, 0, [DateTimeKind]::Utc)
        $root = Join-Path $TestDrive 'capstan-one'
        # What a user sees, typed as the newcomer did, in a fresh PowerShell under a German culture, output redirected.
        $output = Invoke-FreshPwsh @"
[cultureinfo]::CurrentCulture = 'de-DE'
`$env:CAPSTAN_ROOT = '$root'
Import-Module '$(Get-OsvTestModulePath)'
Import-OsvImage -ReleaseFolder '$release' -Name one-table | Out-String -Width 80
"@
        $text = ($output -join "`n") -replace '\x1b\[[0-9;]*m', ''
        $lines = @($text -split "`n" | Where-Object { $_.Trim() })
        $lines[0] | Should -Match '^Name\s+Format\s+VirtualSize\s+FileSize\s+Created\s+Version\s+Platform\s*$' -Because $text
        $lines[1] | Should -Match '^-+ '
        $lines[2] | Should -Match '^one-table\s+Raw\s.*2025-03-04 05:06' -Because $text
        $lines.Count | Should -Be 3 -Because "one table, no list after it: $text"
        $env:CAPSTAN_ROOT, $saved = $root, $env:CAPSTAN_ROOT
        try {
            $image = Get-OsvImage one-table
            $image.Created | Should -Be ([datetime]::new(2025, 3, 4, 5, 6, 0, [DateTimeKind]::Utc))
        }
        finally { $env:CAPSTAN_ROOT = $saved }
    }

    It 'followed literally from the README on a clean HOME, ends with a kernel boot of the seed''s say_hey' {
        if (Skip-WithoutOsv $osv) { return }
        $readme = Get-Content -Raw (Join-Path $PSScriptRoot '../../README.md')
        # The README's own steps, as written: the import line after the build, then the offline block.
        $readme | Should -Match ([regex]::Escape('`Import-Module ./out/OsvPS` works in PowerShell 7'))
        $block = [regex]::Match($readme, '(?s)Offline, with a folder of OSv.*?```powershell\n(.*?)```').Groups[1].Value
        $block | Should -Match 'Import-OsvImage -ReleaseFolder \./osv-release'
        # A folder that is what the README's reader has: the clone (its out/ built, its examples/), and
        # ./osv-release, this machine's real OSv; HOME fresh, with no CAPSTAN_ROOT, so ~/.capstan starts empty.
        $base = Join-Path $TestDrive 'readme'
        $clone = Join-Path $base 'clone'
        $cleanHome = Join-Path $base 'home'
        New-Item -ItemType Directory -Force $clone, $cleanHome | Out-Null
        $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
        New-Item -ItemType SymbolicLink -Path (Join-Path $clone 'out') -Target (Split-Path (Get-OsvTestModulePath)) | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $clone 'examples') -Target (Join-Path $repo 'examples') | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $clone 'osv-release') -Target $osv.Folder | Out-Null
        $steps = "Import-Module ./out/OsvPS`n" + $block.TrimEnd().Replace('Start-OsvInstance -Boot say_hey -Wait', 'Start-OsvInstance -Boot say_hey -Wait -Timeout 60')
        $script = "`$ErrorActionPreference = 'Stop'; Set-Location '$clone'; `$env:HOME = '$cleanHome'; Remove-Item Env:CAPSTAN_ROOT -ErrorAction Ignore`n" + $steps + "`n| ForEach-Object { `"`$_`" }"
        $output = Invoke-FreshPwsh $script
        $text = $output -join "`n"
        $output | Should -Contain 'Hey hey!' -Because $text
        $instance = Get-ChildItem (Join-Path $cleanHome '.capstan/instances/qemu') -Directory
        Get-Content -Raw (Join-Path $instance[0].FullName 'instance.state') | Should -Match 'boot_mode=Kernel'
        # The bootstrap's description came along as the release folder has it (the real build's version).
        $version = @(Get-Content (Join-Path $osv.Folder 'osv.bootstrap.yaml') | Where-Object { $_ -match '^version:' })
        $version | Should -Not -BeNullOrEmpty
        Get-Content (Join-Path $cleanHome '.capstan/packages/osv.bootstrap.yaml') | Should -Contain $version[0]
    }
}
