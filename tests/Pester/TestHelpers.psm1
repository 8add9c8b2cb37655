# Shared by the Pester files: where the built module is, and a fresh PowerShell process.

function Get-OsvTestModulePath {
    if (-not $env:OSVPS_TEST_MODULE) { throw 'OSVPS_TEST_MODULE is not set; run the suite through ./build.ps1 test.' }
    $env:OSVPS_TEST_MODULE
}

# Runs a script in a new PowerShell process (the same PowerShell as this one) and returns its output lines.
function Invoke-FreshPwsh([string] $Script) {
    $process = [Environment]::ProcessPath
    [string[]] $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
    & $process @prefix -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1
}

# Assembles the stand-in OSv loader (tests/fixtures/standin-boot.S) and pads it to 1 MiB, the size
# its boot sector declares. -Hang gives the variant that never powers off.
function New-StandInLoader([string] $Path, [switch] $Hang) {
    $source = Join-Path $PSScriptRoot '../fixtures/standin-boot.S'
    $object = "$Path.o"; $binary = "$Path.bin"
    $defsym = if ($Hang) { @('--defsym', 'HANG=1') } else { @() }
    & as --32 @defsym -o $object $source
    if ($LASTEXITCODE) { throw "as failed on $source" }
    & ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o $binary $object
    if ($LASTEXITCODE) { throw "ld failed" }
    $bytes = [IO.File]::ReadAllBytes($binary)
    if ($bytes.Length -ne 512) { throw "the stand-in boot sector is $($bytes.Length) bytes, not 512" }
    $image = [byte[]]::new(1MB)
    [Array]::Copy($bytes, $image, 512)
    [IO.File]::WriteAllBytes($Path, $image)
    Remove-Item -LiteralPath $object, $binary
    $Path
}

# A fresh Capstan repository in $Root (CAPSTAN_ROOT points at it) with the stand-in loader as
# osv-loader and a small osv.bootstrap package made with the system's tar.
function New-TestRepository([string] $Root) {
    $env:CAPSTAN_ROOT = $Root
    $loaderDir = Join-Path $Root 'repository/osv-loader'
    New-Item -ItemType Directory -Force -Path $loaderDir, (Join-Path $Root 'packages') | Out-Null
    New-StandInLoader (Join-Path $loaderDir 'osv-loader.qemu') | Out-Null
    $bootstrap = Join-Path $Root 'bootstrap-src'
    New-Item -ItemType Directory -Force -Path (Join-Path $bootstrap 'meta'), (Join-Path $bootstrap 'etc'), (Join-Path $bootstrap 'usr/lib') | Out-Null
    Set-Content -LiteralPath (Join-Path $bootstrap 'meta/package.yaml') -Value "name: osv.bootstrap`ntitle: OSv bootstrap (test)`nauthor: tests`n"
    Set-Content -LiteralPath (Join-Path $bootstrap 'etc/hosts') -Value '127.0.0.1 localhost'
    Set-Content -LiteralPath (Join-Path $bootstrap 'libenviron.so') -Value 'stand-in libenviron'
    Set-Content -LiteralPath (Join-Path $bootstrap 'usr/lib/libgcc_s.so.1') -Value 'stand-in libgcc'
    & tar -czf (Join-Path $Root 'packages/osv.bootstrap.mpm') -C $bootstrap .
    if ($LASTEXITCODE) { throw 'tar failed' }
    Copy-Item (Join-Path $bootstrap 'meta/package.yaml') (Join-Path $Root 'packages/osv.bootstrap.yaml')
    $Root
}

Export-ModuleMember -Function Get-OsvTestModulePath, Invoke-FreshPwsh, New-StandInLoader, New-TestRepository
