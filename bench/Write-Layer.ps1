<#
.SYNOPSIS
    Benchmark of the write layer every project and repository write goes through (ContainedFolder:
    openat/mkdirat/renameat without following links, a flock on each temporary, a check that the
    folder is still inside the root) against the path-based writes it replaced (Directory.CreateDirectory
    + AtomicFile.Write), in the same run; and of the sweep of a project's stale temporaries that each
    Add-OsvBinary call makes, against a plain recursive listing of the same tree.
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Write-Layer.ps1 -Files 2000 -TreeFiles 20000
#>
param([int] $Files = 2000, [int] $TreeFiles = 20000, [int] $Runs = 3)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
# The core alone (the module loads it into a context of its own, out of reach of type names here).
Add-Type -LiteralPath (Join-Path $module 'Dependencies/OsvPS.Core.dll')
$work = Join-Path ([IO.Path]::GetTempPath()) "osvps-bench-write-$PID"
New-Item -ItemType Directory -Force $work | Out-Null
$data = [byte[]]::new(64KB)
$write = [Action[IO.FileStream]] { param($s) $s.Write($data, 0, $data.Length) }.GetNewClosure()
# Each file in one of 50 folders three deep, as libraries and programs spread over a project.
$relative = @(for ($i = 0; $i -lt $Files; $i++) { "usr/lib$($i % 5)/sub$($i % 10)/f$i.so" })

function Measure-Best([scriptblock] $Prepare, [scriptblock] $Body) {
    $best = [double]::MaxValue
    for ($r = 0; $r -lt $Runs; $r++) {
        & $Prepare
        $watch = [Diagnostics.Stopwatch]::StartNew()
        & $Body
        $best = [math]::Min($best, $watch.Elapsed.TotalSeconds)
    }
    $best
}

try {
    $root = Join-Path $work 'P'
    $fresh = { if (Test-Path $root) { Remove-Item -Recurse -Force $root }; New-Item -ItemType Directory $root | Out-Null }
    $paths = Measure-Best $fresh {
        foreach ($r in $relative) {
            $full = Join-Path $root $r
            [IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($full)) | Out-Null
            [OsvPS.Core.IO.AtomicFile]::Write($full, $write, $false, $null)
        }
    }
    $handles = Measure-Best $fresh {
        $folder = [OsvPS.Core.IO.ContainedFolder]::new($root)
        foreach ($r in $relative) { $folder.WriteFile($r, $write, $false, $null) }
        $folder.Dispose()
    }

    # The sweep: a tree of $TreeFiles files in 400 folders, with one stale temporary in it.
    $tree = Join-Path $work 'T'
    for ($i = 0; $i -lt $TreeFiles; $i++) {
        if ($i % 50 -eq 0) { $dir = Join-Path $tree "d$($i % 20)/e$([math]::Floor($i / 50))"; [IO.Directory]::CreateDirectory($dir) | Out-Null }
        [IO.File]::WriteAllBytes((Join-Path $dir "f$i"), [byte[]]::new(0))
    }
    $stale = Join-Path $tree 'd0/.big.0123456789ab.tmp'
    $listing = Measure-Best {} { [IO.Directory]::EnumerateFileSystemEntries($tree, '*', [IO.SearchOption]::AllDirectories) | Measure-Object | Out-Null }
    $swept = 0
    $sweep = Measure-Best { [IO.File]::WriteAllText($stale, 'x') } { $script:swept += [OsvPS.Core.IO.ContainedFolder]::new($tree).SweepTemporaries() }
    if ($swept -ne $Runs) { throw "the sweep removed $swept stale temporaries in $Runs runs" }

    "$Files files of 64 KiB in 50 folders (no fsync), best of $Runs runs:"
    [pscustomobject]@{
        'path-based writes (s)' = [math]::Round($paths, 3)
        'ContainedFolder (s)'   = [math]::Round($handles, 3)
        'ratio'                 = '{0:0.00}x' -f ($handles / $paths)
        'per file, extra (us)'  = [math]::Round(($handles - $paths) / $Files * 1e6)
    } | Format-Table -AutoSize | Out-String
    "Sweep of a tree of $TreeFiles files in $((Get-ChildItem -Directory -Recurse $tree).Count) folders, best of ${Runs}:"
    [pscustomobject]@{
        'recursive listing (s)' = [math]::Round($listing, 3)
        'SweepTemporaries (s)'  = [math]::Round($sweep, 3)
        'ratio'                 = '{0:0.00}x' -f ($sweep / $listing)
    } | Format-Table -AutoSize | Out-String
}
finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
