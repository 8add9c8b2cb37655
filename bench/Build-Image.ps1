<#
.SYNOPSIS
    Benchmark of Build-OsvImage: composes a generated project (default about 1 GiB in 20,000
    files) to qcow2 and compares it with the floor measured in the same run: reading every input
    file once and writing the same bytes once (cat of all files into one file).
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Build-Image.ps1
#>
param(
    [int] $Files = 20000,
    [long] $TotalBytes = 1GB,
    [string] $WorkPath = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-bench-build')
)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
$module = (Resolve-Path $module).Path

function New-Tree([string] $Root, [int] $Count, [long] $Bytes) {
    Remove-Item -Recurse -Force -LiteralPath $Root -ErrorAction Ignore
    New-Item -ItemType Directory -Force (Join-Path $Root 'meta') | Out-Null
    Set-Content (Join-Path $Root 'meta/package.yaml') "name: bench`ntitle: bench`nauthor: bench`n"
    Set-Content (Join-Path $Root 'meta/run.yaml') "runtime: native`nconfig_set:`n  default:`n    bootcmd: /d000/f0`n"
    $random = [Random]::new(42)
    $average = [long]($Bytes / $Count)
    $buffer = [byte[]]::new($average * 2)
    $random.NextBytes($buffer)
    for ($i = 0; $i -lt $Count; $i++) {
        $dir = Join-Path $Root ("d{0:000}" -f ($i % 200))
        if ($i -lt 200) { New-Item -ItemType Directory -Force $dir | Out-Null }
        $size = [int]($random.NextDouble() * 2 * $average)
        $f = [IO.File]::Create((Join-Path $dir "f$i"))
        $f.Write($buffer, $i % 4096, [Math]::Min($size, $buffer.Length - ($i % 4096)))
        $f.Dispose()
    }
}

# Runs a script in a fresh PowerShell and returns its last output line (JSON).
function Invoke-Child([string] $Script) {
    $process = [Environment]::ProcessPath
    [string[]] $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    $out = & $process @prefix -NoProfile -NonInteractive -Command $Script
    if ($LASTEXITCODE) { throw "child failed: $out" }
    $out | Select-Object -Last 1 | ConvertFrom-Json
}

$buildScript = {
    param($Module, $Root, $Project, $Force)
    $ErrorActionPreference = 'Stop'
    $env:CAPSTAN_ROOT = $Root
    Import-Module $Module
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $image = Build-OsvImage $Project -NoBootstrap -Force:$Force -LoaderImage (Join-Path $Root 'loader.img')
    $seconds = $watch.Elapsed.TotalSeconds
    $p = [Diagnostics.Process]::GetCurrentProcess()
    [pscustomobject]@{ Seconds = $seconds; PeakMB = [math]::Round($p.PeakWorkingSet64 / 1MB); FileSize = $image.FileSize } | ConvertTo-Json -Compress
}

function Measure-Build([string] $Project, [bool] $Force) {
    Invoke-Child "& { $buildScript } -Module '$module' -Root '$root' -Project '$Project' -Force `$$Force"
}

$root = Join-Path $WorkPath 'capstan'
New-Item -ItemType Directory -Force $root | Out-Null
# A loader as large as its boot sector says (64 KiB of boot code, then 32 units of 32 KiB): what Build-OsvImage checks.
$loader = [byte[]]::new(1MB + 64KB); $loader[0x10] = 32; $loader[510] = 0x55; $loader[511] = 0xAA
[IO.File]::WriteAllBytes((Join-Path $root 'loader.img'), $loader)

$small = Join-Path $WorkPath 'small'
$large = Join-Path $WorkPath 'large'
Write-Host "Generating $Files files, $([math]::Round($TotalBytes / 1MB)) MiB, in $large ..."
New-Tree $large $Files $TotalBytes
New-Tree $small ([int]($Files / 10)) ([long]($TotalBytes / 10))
$bytes = (Get-ChildItem -Recurse -File $large | Measure-Object Length -Sum).Sum

# Warm the page cache for both contenders the same way.
& sh -c "find '$large' -type f -print0 | xargs -0 cat > /dev/null"

# Both contenders replace their previous output and make it durable (fsync) before they end;
# the best of three runs each.
$floorFile = Join-Path $WorkPath 'floor.bin'
$floor = [double]::MaxValue
foreach ($run in 1..3) {
    $watch = [Diagnostics.Stopwatch]::StartNew()
    & sh -c "find '$large' -type f -print0 | xargs -0 cat > '$floorFile' && sync '$floorFile'"
    $floor = [math]::Min($floor, $watch.Elapsed.TotalSeconds)
}
Remove-Item $floorFile

$build = $null
foreach ($run in 1..3) {
    $result = Measure-Build $large $true
    if (-not $build -or $result.Seconds -lt $build.Seconds) { $build = $result }
}
$unchanged = Measure-Build $large $false
$smallBuild = Measure-Build $small $true

$mb = $bytes / 1MB
"{0,-34} {1,10}" -f 'input', ("{0:0} MiB in {1} files" -f $mb, $Files)
"{0,-34} {1,10:0.00} s  {2,8:0} MB/s" -f 'floor (cat all files into one)', $floor, ($mb / $floor)
"{0,-34} {1,10:0.00} s  {2,8:0} MB/s" -f 'Build-OsvImage -Force (qcow2)', $build.Seconds, ($mb / $build.Seconds)
"{0,-34} {1,10:0.00}x (goal <= 1.30)" -f 'ratio build / floor', ($build.Seconds / $floor)
"{0,-34} {1,10:0.000} s (goal < 1)" -f 'unchanged rebuild', $unchanged.Seconds
"{0,-34} {1,10} MB (process peak working set)" -f "peak memory, $([math]::Round($mb)) MiB input", $build.PeakMB
"{0,-34} {1,10} MB (process peak working set)" -f "peak memory, $([math]::Round($mb / 10)) MiB input", $smallBuild.PeakMB
if (-not $env:OSVPS_BENCH_KEEP) { Remove-Item -Recurse -Force -LiteralPath $WorkPath }
