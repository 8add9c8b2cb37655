<#
.SYNOPSIS
    Makes the module's package: the .nupkg PSResourceGet publishes from a built module folder
    (out/OsvPS), into -OutPath. PSResourceGet needs a registered repository to publish to; it is
    registered in a PowerShell process of its own whose HOME is a temporary folder, so the user's
    own repository list is never touched. Writes the package's path to the pipeline.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutPath
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
New-Item -ItemType Directory -Force -Path $OutPath | Out-Null
$OutPath = (Resolve-Path -LiteralPath $OutPath).ProviderPath
$version = (Import-PowerShellDataFile (Join-Path $ModulePath 'OsvPS.psd1')).ModuleVersion
$package = Join-Path $OutPath "OsvPS.$version.nupkg"
Remove-Item -LiteralPath $package -ErrorAction Ignore

$isolated = Join-Path ([IO.Path]::GetTempPath()) ("osvps-package-" + [Guid]::NewGuid().ToString('N'))
# .NET reports a data folder that does not exist as empty, and PSResourceGet then keeps its repository
# list in the current folder: the folders are made first, and the child runs inside them.
foreach ($sub in '.local/share', '.config', '.cache') { New-Item -ItemType Directory -Force -Path (Join-Path $isolated $sub) | Out-Null }
try {
    $process = [Environment]::ProcessPath
    $info = [Diagnostics.ProcessStartInfo]::new($process)
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $info.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', '& { param($m, $o) $ErrorActionPreference = ''Stop''; Register-PSResourceRepository -Name OsvPSBuild -Uri $o -Trusted; Publish-PSResource -Path $m -Repository OsvPSBuild }', $ModulePath, $OutPath) {
        $info.ArgumentList.Add($a)
    }
    $info.Environment['HOME'] = $isolated
    $info.Environment['XDG_DATA_HOME'] = Join-Path $isolated '.local/share'
    $info.Environment['XDG_CONFIG_HOME'] = Join-Path $isolated '.config'
    $info.Environment['XDG_CACHE_HOME'] = Join-Path $isolated '.cache'
    $info.UseShellExecute = $false
    $info.WorkingDirectory = $isolated
    $child = [Diagnostics.Process]::Start($info)
    $child.WaitForExit()
    if ($child.ExitCode -ne 0) { throw "Publish-PSResource failed (exit code $($child.ExitCode))" }
}
finally {
    Remove-Item -Recurse -Force -LiteralPath $isolated -ErrorAction Ignore
}
if (-not (Test-Path -LiteralPath $package)) { throw "Publish-PSResource made no $package" }
$package
