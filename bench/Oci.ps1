<#
.SYNOPSIS
    Benchmark of Publish-OsvImage and Save-OsvImage -Reference: push and pull of an image of about
    100 MB (random, so incompressible) to and from Debian's docker-registry on 127.0.0.1 (TLS,
    htpasswd), against `skopeo copy` of the same layers (uncompressed, digests preserved) to and from
    the same registry, in the same run. Each round starts a fresh registry, so neither client finds
    a blob there already (and skopeo cannot mount one from another repository).
.EXAMPLE
    dotnet pwsh ./build.ps1 build; dotnet pwsh ./bench/Oci.ps1
#>
param(
    [long] $ImageBytes = 100MB,
    [int] $Rounds = 3,
    # Publish-OsvImage's -ChunkSize (0: one PUT a blob).
    [long] $ChunkSize = 16MB,
    [string] $WorkPath = (Join-Path ([IO.Path]::GetTempPath()) 'osvps-bench-oci')
)
$ErrorActionPreference = 'Stop'
$module = Join-Path $PSScriptRoot '../out/OsvPS'
if (-not (Test-Path (Join-Path $module 'OsvPS.psd1'))) { throw 'build the module first: dotnet pwsh ./build.ps1 build' }
Import-Module (Resolve-Path $module).Path
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/RegistryHelpers.psm1')
if ($reason = Get-RegistryTestSkipReason) { throw $reason }

Remove-Item -Recurse -Force -LiteralPath $WorkPath -ErrorAction Ignore
New-Item -ItemType Directory -Force $WorkPath | Out-Null
$env:CAPSTAN_ROOT = Join-Path $WorkPath 'capstan'
$env:DOCKER_CONFIG = Join-Path $WorkPath 'no-docker-config'
$raw = Join-Path $WorkPath 'bench.img'
$bytes = [byte[]]::new($ImageBytes)
[Random]::new(42).NextBytes($bytes)
[IO.File]::WriteAllBytes($raw, $bytes)
$bytes = $null
$image = Import-OsvImage $raw -Name bench
$hash = (Get-FileHash $image.Path).Hash

function Time([scriptblock] $Block) { $watch = [Diagnostics.Stopwatch]::StartNew(); & $Block | Out-Null; $watch.Elapsed.TotalSeconds }
function Median([double[]] $Values) { $sorted = $Values | Sort-Object; $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)] }

# The same layers for skopeo: OsvPS's image as an OCI layout, uncompressed, made once (not timed).
$layout = Join-Path $WorkPath 'layout'
$setup = Start-TestRegistry (Join-Path $WorkPath 'registry-setup')
try {
    Publish-OsvImage bench -Reference "$($setup.Address)/bench/setup:1" -CertificateAuthority $setup.CaFile -Credential $setup.Credential | Out-Null
    Invoke-Skopeo $setup (@('copy', '--dest-oci-accept-uncompressed-layers', '--src-cert-dir', $setup.CertDir, '--src-creds', $setup.Creds) +
        "docker://$($setup.Address)/bench/setup:1", "oci:${layout}:1") | Out-Null
}
finally { Stop-TestRegistry $setup }

$results = foreach ($round in 1..$Rounds) {
    # A registry for each client: neither finds a blob there, and skopeo's blob cache knows no place to mount one from.
    $mine = Start-TestRegistry (Join-Path $WorkPath "registry-osvps-$round")
    $theirs = Start-TestRegistry (Join-Path $WorkPath "registry-skopeo-$round")
    try {
        $tls = @{ CertificateAuthority = $mine.CaFile; Credential = $mine.Credential }
        $src = @('--src-cert-dir', $theirs.CertDir, '--src-creds', $theirs.Creds)
        $dest = @('--dest-cert-dir', $theirs.CertDir, '--dest-creds', $theirs.Creds)
        $osvRef = "$($mine.Address)/bench/osvps:1"
        $skopeoRef = "$($theirs.Address)/bench/skopeo:1"
        $push = Time { Publish-OsvImage bench -Reference $osvRef @tls -ChunkSize $ChunkSize }
        $again = Time { Publish-OsvImage bench -Reference $osvRef @tls }
        $env:CAPSTAN_ROOT = Join-Path $WorkPath "pulled-$round"
        $pull = Time { Save-OsvImage -Reference $osvRef @tls }
        if ((Get-FileHash (Join-Path $env:CAPSTAN_ROOT 'repository/osvps/osvps.qemu')).Hash -ne $hash) { throw 'the pulled image differs' }
        $env:CAPSTAN_ROOT = Join-Path $WorkPath 'capstan'
        $skopeoPush = Time { Invoke-Skopeo $theirs (@('copy', '--preserve-digests') + $dest + "oci:${layout}:1", "docker://$skopeoRef") }
        $skopeoPull = Time { Invoke-Skopeo $theirs (@('copy', '--dest-oci-accept-uncompressed-layers') + $src + "docker://$skopeoRef", "oci:$(Join-Path $WorkPath "skopeo-pulled-$round"):1") }
        $seen = Get-RegistryRequests $theirs 'bench/skopeo'
        if (@($seen | Where-Object { $_ -match '^(PUT|PATCH) /v2/bench/skopeo/blobs/uploads' }).Count -lt 2) { throw "skopeo did not upload the blobs: $($seen -join '; ')" }
        [pscustomobject]@{ Push = $push; PushAgain = $again; Pull = $pull; SkopeoPush = $skopeoPush; SkopeoPull = $skopeoPull }
    }
    finally { Stop-TestRegistry $mine; Stop-TestRegistry $theirs }
}
$mb = (Get-Item $image.Path).Length / 1MB
$m = [pscustomobject]@{
    Push = Median $results.Push; PushAgain = Median $results.PushAgain; Pull = Median $results.Pull
    SkopeoPush = Median $results.SkopeoPush; SkopeoPull = Median $results.SkopeoPull
}
"image: {0:0.0} MiB raw (random bytes), {1} rounds, a fresh registry each, medians:" -f $mb, $Rounds
"  push:  Publish-OsvImage {0:0.00} s ({1:0} MiB/s)   skopeo copy {2:0.00} s ({3:0} MiB/s)   ratio {4:0.00}x" -f $m.Push, ($mb / $m.Push), $m.SkopeoPush, ($mb / $m.SkopeoPush), ($m.Push / $m.SkopeoPush)
"  push again (every blob there): Publish-OsvImage {0:0.00} s" -f $m.PushAgain
"  pull:  Save-OsvImage -Reference {0:0.00} s ({1:0} MiB/s, into the repository, digests checked)   skopeo copy to an OCI layout {2:0.00} s   ratio {3:0.00}x" -f $m.Pull, ($mb / $m.Pull), $m.SkopeoPull, ($m.Pull / $m.SkopeoPull)
"  every round: " + (($results | ForEach-Object { 'push {0:0.00}/{1:0.00} pull {2:0.00}/{3:0.00}' -f $_.Push, $_.SkopeoPush, $_.Pull, $_.SkopeoPull }) -join '; ')
Remove-Item -Recurse -Force -LiteralPath $WorkPath -ErrorAction Ignore
