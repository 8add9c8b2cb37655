#requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests and demonstrates OsvPS.
.DESCRIPTION
    build  publishes the module into out/OsvPS (Import-Module ./out/OsvPS works afterwards).
    test   builds, runs the xunit suite, then the Pester suite in a fresh PowerShell process
           against out/OsvPS, and ends with one line "N passed, N failed[, N skipped]".
    demo   builds, then runs the main job: an example project, end to end.
    package builds, then makes the module's package (out/package/OsvPS.<version>.nupkg) for
           Install-PSResource from a local or NuGet repository.
    clean  removes out/ and every bin/ and obj/ folder.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'demo', 'package', 'clean')]
    [string] $Task = 'build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Runs only the Pester files whose name matches this regular expression (e.g. 'New-OsvProject' or 'Module|Help'); the xunit suite is skipped.
    [string] $PesterFilter
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$root = $PSScriptRoot
. (Join-Path $root 'tools/BuildTasks.ps1')

switch ($Task) {
    'build' { Invoke-Build }
    'test' { Invoke-Test }
    'demo' { Invoke-Demo }
    'package' { Invoke-Package }
    'clean' { Invoke-Clean }
}
