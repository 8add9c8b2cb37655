<#
.SYNOPSIS
    The main job: an example project end to end (compile a C program, add it with its libraries,
    build an image, run it on OSv), in a fresh process against the built module, as a user sees it.
    build.ps1 demo runs it.
#>
param([string] $ModulePath, [string] $WorkPath, [string] $Root)
$ErrorActionPreference = 'Stop'
function Show([string] $Command) { Write-Host "PS> $Command" -ForegroundColor Cyan }
function Say([string] $Text) { Write-Host $Text -ForegroundColor Yellow }
$standIn = $false
# What the demo needs beyond the module, said before anything starts (the README's prerequisites).
$missing = @(
    if (-not (Get-Command gcc -CommandType Application -ErrorAction Ignore)) { 'gcc (it compiles the demo''s C program: apt-get install gcc)' }
    if (-not (Get-Command qemu-system-x86_64 -CommandType Application -ErrorAction Ignore) -and -not $env:CAPSTAN_QEMU_PATH) { 'qemu-system-x86_64 (it runs the unikernel: apt-get install qemu-system-x86)' }
    if (-not (Get-Command qemu-img -CommandType Application -ErrorAction Ignore)) { 'qemu-img (apt-get install qemu-utils)' }
)
if ($missing) {
    Write-Host "The demo needs: $($missing -join '; ')." -ForegroundColor Red
    exit 2
}
Remove-Item -Recurse -Force -LiteralPath $WorkPath -ErrorAction Ignore
New-Item -ItemType Directory -Force $WorkPath | Out-Null

# The demo has a repository of its own: it reads the user's (for a loader and the bootstrap) and never writes there.
$userRoot = if ($env:CAPSTAN_ROOT) { $env:CAPSTAN_ROOT } else { Join-Path $HOME '.capstan' }
$env:CAPSTAN_ROOT = Join-Path $WorkPath 'capstan'
Import-Module $ModulePath
Say "The demo's own repository: CAPSTAN_ROOT=$env:CAPSTAN_ROOT (yours, $userRoot, is only read)."

$userLoader = Join-Path $userRoot 'repository/osv-loader/osv-loader.qemu'
$userKernel = Join-Path $userRoot 'repository/osv-loader/osv-loader.elf'
$userBootstrap = Join-Path $userRoot 'packages/osv.bootstrap.mpm'
if ((Test-Path -LiteralPath $userLoader) -and (Test-Path -LiteralPath $userBootstrap)) {
    Show "Import-OsvImage $userLoader -Name osv-loader$(if (Test-Path -LiteralPath $userKernel) { " -Kernel $userKernel" })"
    $kernel = if (Test-Path -LiteralPath $userKernel) { @{ Kernel = $userKernel } } else { @{} }
    Import-OsvImage $userLoader -Name osv-loader @kernel | Format-Table | Out-String -Width 150 | Out-Host
    New-Item -ItemType Directory -Force (Join-Path $env:CAPSTAN_ROOT 'packages') | Out-Null
    Copy-Item -LiteralPath $userBootstrap (Join-Path $env:CAPSTAN_ROOT 'packages/osv.bootstrap.mpm')
    $yaml = Join-Path $userRoot 'packages/osv.bootstrap.yaml'
    if (Test-Path -LiteralPath $yaml) { Copy-Item -LiteralPath $yaml (Join-Path $env:CAPSTAN_ROOT 'packages/osv.bootstrap.yaml') }
}
else {
    # First run: fetch OSv's loader and bootstrap package from its releases.
    try {
        Show 'Save-OsvImage osv-loader; Save-OsvPackage osv.bootstrap'
        Save-OsvImage osv-loader -ErrorAction Stop | Format-Table | Out-String -Width 150 | Out-Host
        Save-OsvPackage osv.bootstrap -ErrorAction Stop | Format-Table | Out-String -Width 150 | Out-Host
    }
    catch {
        # Offline, with no loader anywhere: say so plainly, then run the same pipeline on the stand-in
        # guest the tests use (a boot sector that prints the command line it is given), not on OSv.
        Say "No OSv here: your repository has no osv-loader, and OSv's releases cannot be reached ($($_.Exception.Message))."
        Say "This run uses the STAND-IN guest, not the real kernel. For the real one, run Save-OsvImage osv-loader; Save-OsvPackage osv.bootstrap"
        Say "when online, or import a folder of OSv's release assets (osv-loader.qemu.x86_64, osv-loader.elf.x86_64.gz, osv.bootstrap.mpm.x86_64, osv.bootstrap.yaml),"
        Say "the loader, its kernel and the bootstrap in one command:  Import-OsvImage -ReleaseFolder <folder>"
        Import-Module (Join-Path $Root 'tests/Pester/TestHelpers.psm1')
        Remove-Item -Recurse -Force -LiteralPath $env:CAPSTAN_ROOT -ErrorAction Ignore
        New-TestRepository $env:CAPSTAN_ROOT | Out-Null
        $standIn = $true
    }
}

$project = Join-Path $WorkPath 'hello'
Show "New-OsvProject $project -BootCommand '/hello' -Env @{ GREETING = 'hi' }"
New-OsvProject $project -BootCommand '/hello' -Env @{ GREETING = 'hi' } | Format-Table | Out-String -Width 150 | Out-Host
# A second config set: the same program with arguments and its own greeting.
Set-Content -LiteralPath (Join-Path $project 'meta/run.yaml') -Value @"
runtime: native
config_set:
  default:
    bootcmd: /hello
    env: { GREETING: hi }
  say_hey:
    bootcmd: /hello Hey hey
    env: { GREETING: "hey there; from run.yaml" }
config_set_default: default
"@
$source = Join-Path $WorkPath 'hello.c'
Set-Content -LiteralPath $source -Value @'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    printf("Hello from OSv! GREETING=%s, arguments:", getenv("GREETING"));
    for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
    printf("\n");
    return 0;
}
'@
$binary = Join-Path $WorkPath 'build/hello'
New-Item -ItemType Directory -Force (Split-Path $binary) | Out-Null
& gcc -fPIE -pie -O2 -o $binary $source
if ($LASTEXITCODE) { throw 'gcc failed on hello.c' }
Show "Add-OsvBinary $binary -Project $project"
Add-OsvBinary $binary -Project $project | Format-Table | Out-String -Width 150 | Out-Host
Show "(Get-OsvProject $project).ConfigSets"
(Get-OsvProject $project).ConfigSets | Format-Table | Out-String -Width 150 | Out-Host
Show "Build-OsvImage $project"
Build-OsvImage $project | Format-Table | Out-String -Width 150 | Out-Host
Show "Get-OsvImage hello | Start-OsvInstance -Boot say_hey -Wait -Timeout 120"
Get-OsvImage hello | Start-OsvInstance -Boot say_hey -Wait -Timeout 120 | Out-String -Stream -Width 150 | Out-Host
if (-not $standIn) {
    # A program that is not in the image: OSv says so, and so does the cmdlet, as an error record.
    Show "Start-OsvInstance hello -Name missing -CommandLine '/not-there.so' -Wait -Timeout 120 -ErrorAction Continue"
    Start-OsvInstance hello -Name missing -CommandLine '/not-there.so' -Wait -Timeout 120 -ErrorAction Continue | Out-String -Stream -Width 150 | Out-Host
}
Show "Get-OsvInstance"
Get-OsvInstance | Format-Table | Out-String -Width 150 | Out-Host
