BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $savedSource = $env:OSVPS_RELEASE_SOURCE
    $env:CAPSTAN_ROOT = Join-Path $TestDrive 'capstan'
    $server = New-TestReleaseSite $TestDrive
    $loader = Join-Path $TestDrive 'osv-loader.qemu.x86_64'
    $kernel = Join-Path $TestDrive 'kernel.elf'
    # A release whose published digest is not its loader's (a tampered mirror, a cut upload).
    Publish-TestRelease (Join-Path $TestDrive 'web') 'v0.55.0' @{ 'osv-loader.qemu.x86_64' = $loader } $server.Url -Digests @{ 'osv-loader.qemu.x86_64' = 'sha256:' + ('0' * 64) }
}

AfterAll {
    $server.Stop.Invoke()
    $env:CAPSTAN_ROOT = $savedRoot
    $env:OSVPS_RELEASE_SOURCE = $savedSource
}

Describe 'Save-OsvImage' {
    It 'downloads the latest loader and its kernel, and records version and hash' {
        $image = Save-OsvImage -Source $server.Url
        $image.Name | Should -Be 'osv-loader'
        $image.Version | Should -Be 'v0.57.0'
        (Get-FileHash $image.Path).Hash | Should -Be (Get-FileHash $loader).Hash
        (Get-FileHash (Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.elf')).Hash | Should -Be (Get-FileHash $kernel).Hash
        Get-Content (Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/index.yaml') -Raw | Should -Match 'sha256: "[0-9a-f]{64}"'
    }

    It 'takes the source from OSVPS_RELEASE_SOURCE and a given tag' {
        $env:OSVPS_RELEASE_SOURCE = $server.Url
        (Save-OsvImage mike/osv-loader -Version v0.56.0).Version | Should -Be 'v0.56.0'
        $env:OSVPS_RELEASE_SOURCE = $savedSource
    }

    It 'boots an image built on the downloaded loader straight into its kernel' {
        $p = Join-Path $TestDrive 'p'
        New-OsvProject $p -BootCommand '/x' | Out-Null
        Set-Content (Join-Path $p 'x') 'stand-in program'
        $output = Build-OsvImage $p -NoBootstrap | Start-OsvInstance -Wait -Timeout ([TimeSpan]::FromSeconds(30))
        $output | Should -Contain 'OSVPS-STANDIN-KERNEL cmdline: --power-off-on-abort --verbose runscript /run/default;'
        Stop-TestInstances
    }

    It 'refuses a loader whose bytes changed since the download' {
        $path = Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.qemu'
        $bytes = [IO.File]::ReadAllBytes($path); $bytes[1000] = $bytes[1000] -bxor 0xff; [IO.File]::WriteAllBytes($path, $bytes)
        $p = Join-Path $TestDrive 'p'
        Build-OsvImage $p -NoBootstrap -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'LoaderImageCorrupt,*'
        (Save-OsvImage -Source $server.Url -Force).Version | Should -Be 'v0.57.0'
        (Build-OsvImage $p -NoBootstrap -Force).Name | Should -Be 'p'
    }

    It 'refuses to boot a kernel whose bytes changed since the download' {
        $kernel = Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.elf'
        $saved = [IO.File]::ReadAllBytes($kernel)
        $bytes = $saved.Clone(); $bytes[100] = $bytes[100] -bxor 0xff; [IO.File]::WriteAllBytes($kernel, $bytes)
        try {
            Start-OsvInstance p -BootMode Kernel -Wait -Timeout 30 -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike 'KernelCorrupt,*'
        }
        finally { [IO.File]::WriteAllBytes($kernel, $saved) }
    }

    It 'reports <Id> for <Case>' -ForEach @(
        @{ Case = 'a release that does not exist'; Id = 'ReleaseNotFound'; Arguments = @{ Version = 'v9.9.9' } }
        @{ Case = 'a variant the release lacks'; Id = 'AssetNotFound'; Arguments = @{ Variant = 'microvm' } }
        @{ Case = 'an unreachable source'; Id = 'ReleaseSourceUnreachable'; Arguments = @{ Source = 'http://127.0.0.1:9/releases' } }
        @{ Case = 'a source on this machine''s disk'; Id = 'SourceSchemeNotSupported'; Arguments = @{ Source = 'file:///etc' } }
        @{ Case = 'an asset that does not match its published digest'; Id = 'DownloadCorrupt'; Arguments = @{ Version = 'v0.55.0' } }
    ) {
        if (-not $Arguments.Source) { $Arguments.Source = $server.Url }
        Save-OsvImage other @Arguments -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'repository/other/other.qemu') | Should -BeFalse
        @(Get-ChildItem -Force (Join-Path $env:CAPSTAN_ROOT 'repository/other') -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty -Because 'nothing half-downloaded stays'
    }
}
