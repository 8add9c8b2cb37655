<#
.SYNOPSIS
    Benchmark of reading a container image and unpacking its layers into a root (the core of
    Add-OsvContainerImage, issue 34: ContainerImageReader.Open + ContainerRoot.Unpack, every blob's
    digest and every layer's diff_id checked, every write through openat without following links)
    against `skopeo copy oci:... oci:...` + `umoci unpack` of the same image to the same disk, in the
    same run. The image (about -ImageBytes in -Layers gzip layers, half random bytes and half text, so
    gzip has work on both kinds) is made once with umoci, untimed. Both roots are compared afterwards.
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/container-unpack.ps1
#>
param(
    [long] $ImageBytes = 100MB,
    [int] $Layers = 4,
    [int] $FilesPerLayer = 250,
    [int] $Rounds = 3,
    [string] $WorkPath = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-bench-container')
)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
foreach ($tool in 'umoci', 'skopeo') {
    if (-not (Get-Command $tool -ErrorAction Ignore)) { throw "$tool is not installed (apt-get install -y umoci skopeo)" }
}
# The core alone (the module loads it into a context of its own, out of reach of type names here).
Add-Type -LiteralPath (Join-Path $module 'Dependencies/OsvPS.Core.dll')

function Invoke-Tool([string] $Tool, [string[]] $Arguments) {
    $out = & $Tool @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$Tool $($Arguments -join ' ') failed: $out" }
}
function Time([scriptblock] $Block) { $watch = [Diagnostics.Stopwatch]::StartNew(); & $Block | Out-Null; $watch.Elapsed.TotalSeconds }
function Median([double[]] $Values) { $sorted = $Values | Sort-Object; $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)] }
# Files, folders and bytes of a tree (links counted, not followed).
function Get-TreeSummary([string] $Path) {
    $items = Get-ChildItem -LiteralPath $Path -Recurse -Force
    $files = @($items | Where-Object { -not $_.PSIsContainer -and -not $_.LinkType })
    '{0} files, {1} folders, {2} bytes' -f $files.Count, @($items | Where-Object PSIsContainer).Count, ($files | Measure-Object Length -Sum).Sum
}

Remove-Item -Recurse -Force -LiteralPath $WorkPath -ErrorAction Ignore
New-Item -ItemType Directory -Force $WorkPath | Out-Null
try {
    # The image, made once: each layer a fresh bundle of new files (and, from the second on, a whiteout).
    $layout = Join-Path $WorkPath 'layout'
    $image = "${layout}:bench"
    Invoke-Tool umoci @('init', '--layout', $layout)
    Invoke-Tool umoci @('new', '--image', $image)
    $random = [Random]::new(42)
    $perFile = [int]($ImageBytes / $Layers / $FilesPerLayer)
    $text = [Text.Encoding]::ASCII.GetBytes(('lorem ipsum dolor sit amet {0} ' * 4096) -f 'osv')
    for ($l = 0; $l -lt $Layers; $l++) {
        $bundle = Join-Path $WorkPath "bundle-$l"
        Invoke-Tool umoci @('unpack', '--image', $image, $bundle)
        $rootfs = Join-Path $bundle 'rootfs'
        for ($f = 0; $f -lt $FilesPerLayer; $f++) {
            $folder = Join-Path $rootfs "layer$l/d$($f % 10)"
            [IO.Directory]::CreateDirectory($folder) | Out-Null
            $bytes = [byte[]]::new($perFile)
            if ($f % 2 -eq 0) { $random.NextBytes($bytes) } else { for ($i = 0; $i -lt $perFile; $i += $text.Length) { [Array]::Copy($text, 0, $bytes, $i, [Math]::Min($text.Length, $perFile - $i)) } }
            [IO.File]::WriteAllBytes((Join-Path $folder "f$f.bin"), $bytes)
        }
        if ($l -gt 0) { Remove-Item -LiteralPath (Join-Path $rootfs "layer$($l - 1)/d0/f0.bin") }
        Invoke-Tool umoci @('repack', '--image', $image, $bundle)
        Remove-Item -Recurse -Force -LiteralPath $bundle
    }
    $stored = (Get-ChildItem -LiteralPath (Join-Path $layout 'blobs/sha256') | Measure-Object Length -Sum).Sum

    $results = foreach ($round in 1..$Rounds) {
        $copy = Join-Path $WorkPath "skopeo-$round"
        $bundle = Join-Path $WorkPath "umoci-$round"
        $skopeo = Time { Invoke-Tool skopeo @('copy', "oci:$image", "oci:${copy}:bench") }
        $umoci = Time { Invoke-Tool umoci @('unpack', '--image', "${copy}:bench", $bundle) }
        $theirs = $skopeo + $umoci
        $root = Join-Path $WorkPath "osvps-$round"
        $unpacked = $null
        $mine = Time {
            $source = [OsvPS.Core.Containers.ContainerSource]::Parse("oci:$image")
            $read = [OsvPS.Core.Containers.ContainerImageReader]::Open($source, [OsvPS.Core.Containers.ContainerReadOptions]::new(), [Threading.CancellationToken]::None)
            try { $script:unpacked = [OsvPS.Core.Containers.ContainerRoot]::Unpack($read, $root, $null, $null, [Threading.CancellationToken]::None) }
            finally { $read.Dispose() }
        }
        $a = Get-TreeSummary (Join-Path $bundle 'rootfs')
        $b = Get-TreeSummary $root
        if ($a -ne $b) { throw "the roots differ: umoci $a, OsvPS $b" }
        Remove-Item -Recurse -Force -LiteralPath $copy, $bundle, $root
        [pscustomobject]@{ Skopeo = $skopeo; Umoci = $umoci; Theirs = $theirs; Mine = $mine; Summary = $b; Unpacked = $script:unpacked }
    }
    $theirs = Median $results.Theirs
    $mine = Median $results.Mine
    $mb = $results[0].Unpacked.Bytes / 1MB
    "image: $Layers gzip layers, {0:0.0} MiB stored, {1:0.0} MiB unpacked ({2}); {3} rounds, medians:" -f ($stored / 1MB), $mb, $results[0].Summary, $Rounds
    "  skopeo copy {4:0.00} s + umoci unpack {5:0.00} s = {0:0.00} s   OsvPS read + unpack {1:0.00} s ({2:0} MiB/s)   ratio {3:0.00}x" -f $theirs, $mine, ($mb / $mine), ($mine / $theirs), (Median $results.Skopeo), (Median $results.Umoci)
    "  rounds (skopeo+umoci / OsvPS): " + (($results | ForEach-Object { '{0:0.00}/{1:0.00}' -f $_.Theirs, $_.Mine }) -join '  ')
}
finally {
    Remove-Item -Recurse -Force -LiteralPath $WorkPath -ErrorAction Ignore
}
