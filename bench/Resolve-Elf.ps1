<#
.SYNOPSIS
    Benchmark of ELF dependency walking: resolves every ELF file under /usr/bin and
    /usr/lib/x86_64-linux-gnu with Get-OsvElfInfo and compares it with running ldd on each of the
    same files, in the same run; reports files per second, the ratio, and peak memory.
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Resolve-Elf.ps1
#>
param([string[]] $Folders = @('/usr/bin', '/usr/lib/x86_64-linux-gnu'))
$ErrorActionPreference = 'Stop'
$module = (Resolve-Path (Join-Path $PSScriptRoot '../out/OsvPS')).Path

$files = foreach ($folder in $Folders) {
    foreach ($item in Get-ChildItem -LiteralPath $folder -File) {
        if ($item.LinkTarget -or $item.Length -lt 64) { continue }
        $stream = [IO.File]::OpenRead($item.FullName)
        $magic = [byte[]]::new(4); $n = $stream.Read($magic, 0, 4); $stream.Dispose()
        if ($n -eq 4 -and $magic[0] -eq 0x7f -and $magic[1] -eq 0x45 -and $magic[2] -eq 0x4c -and $magic[3] -eq 0x46) { $item.FullName }
    }
}
$list = Join-Path ([IO.Path]::GetTempPath()) "osvps-bench-elf-$PID.txt"
$files | Set-Content $list

# OsvPS in a fresh process, so its peak memory is its own; the module import is not timed.
function Measure-OsvPS([int] $Count) {
    $script = @"
Import-Module '$module'
`$files = Get-Content '$list' | Select-Object -First $Count
`$watch = [Diagnostics.Stopwatch]::StartNew()
`$resolved = 0
# Results are counted, not kept: the memory measured is the resolver's.
Get-OsvElfInfo -LiteralPath `$files -ErrorAction SilentlyContinue -ErrorVariable failures | ForEach-Object { `$resolved++ }
`$seconds = `$watch.Elapsed.TotalSeconds
[pscustomobject]@{ Seconds = `$seconds; Resolved = `$resolved; Failed = `$failures.Count; PeakMB = [math]::Round([Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB) } | ConvertTo-Json -Compress
"@
    $process = [Environment]::ProcessPath
    [string[]] $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    & $process @prefix -NoProfile -NonInteractive -Command $script | Select-Object -Last 1 | ConvertFrom-Json
}

$all = Measure-OsvPS $files.Count
$half = Measure-OsvPS ([int]($files.Count / 2))
$tenth = Measure-OsvPS ([int]($files.Count / 10))

$watch = [Diagnostics.Stopwatch]::StartNew()
foreach ($file in $files) { & ldd $file *> $null }
$ldd = $watch.Elapsed.TotalSeconds

"{0,-40} {1}" -f 'ELF files', $files.Count
"{0,-40} {1,8:0.00} s {2,10:0} files/s  ({3} resolved, {4} refused)" -f 'Get-OsvElfInfo (parallel, memoised)', $all.Seconds, ($files.Count / $all.Seconds), $all.Resolved, $all.Failed
"{0,-40} {1,8:0.00} s {2,10:0} files/s" -f 'ldd per file', $ldd, ($files.Count / $ldd)
"{0,-40} {1,8:0.0}x (goal >= 20)" -f 'speed-up over ldd', ($ldd / $all.Seconds)
"{0,-40} {1,8} MB for {2} files, {3} MB for {4}, {5} MB for {6}" -f 'peak working set (whole pwsh process)', $all.PeakMB, $files.Count, $half.PeakMB, [int]($files.Count / 2), $tenth.PeakMB, [int]($files.Count / 10)
Remove-Item $list
