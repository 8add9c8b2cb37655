<#
.SYNOPSIS
    The main job: an example project end to end (compile a C program, add it with its libraries,
    build an image, run it on OSv), in a fresh process against the built module, as a user sees it.
    build.ps1 demo runs it.
#>
param([string] $ModulePath, [string] $WorkPath, [string] $Root)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
function Show([string] $Command) { Write-Host "PS> $Command" -ForegroundColor Cyan }
$standIn = $false
Remove-Item -Recurse -Force -LiteralPath $WorkPath -ErrorAction Ignore
New-Item -ItemType Directory -Force $WorkPath | Out-Null

if (-not (Get-OsvImage osv-loader -ErrorAction Ignore) -or -not (Get-OsvPackage osv.bootstrap)) {
    # First run: fetch OSv's loader and bootstrap package from its releases.
    try {
        Show 'Save-OsvImage osv-loader; Save-OsvPackage osv.bootstrap'
        Save-OsvImage osv-loader -ErrorAction Stop | Format-Table | Out-String -Width 150 | Out-Host
        Save-OsvPackage osv.bootstrap -ErrorAction Stop | Format-Table | Out-String -Width 150 | Out-Host
    }
    catch {
        # Offline, with no loader in the repository: say so, then run the same pipeline on the
        # stand-in guest the tests use, in a repository of the demo's own.
        Write-Host "Cannot fetch OSv's loader: $($_.Exception.Message)" -ForegroundColor Yellow
        Write-Host "Import one with 'Import-OsvImage <loader.img> -Name osv-loader' (and put osv.bootstrap.mpm in packages/)." -ForegroundColor Yellow
        Write-Host "Running the pipeline on the stand-in loader, which prints the command line it is given." -ForegroundColor Yellow
        Import-Module (Join-Path $Root 'tests/Pester/TestHelpers.psm1')
        $env:CAPSTAN_ROOT = Join-Path $WorkPath 'capstan'
        New-TestRepository $env:CAPSTAN_ROOT | Out-Null
        $standIn = $true
        Write-Host "CAPSTAN_ROOT=$env:CAPSTAN_ROOT" -ForegroundColor Yellow
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
