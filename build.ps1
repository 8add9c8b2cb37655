#requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests and demonstrates OsvPS.
.DESCRIPTION
    build  publishes the module into out/OsvPS (Import-Module ./out/OsvPS works afterwards).
    test   builds, runs the xunit suite, then the Pester suite in a fresh PowerShell process
           against out/OsvPS, and ends with one line "N passed, N failed[, N skipped]".
    demo   builds, then runs the main job: an example project, end to end.
    clean  removes out/ and every bin/ and obj/ folder.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'demo', 'clean')]
    [string] $Task = 'build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Runs only the Pester files whose name matches (e.g. 'New-OsvProject'); the xunit suite is skipped.
    [string] $PesterFilter
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleOut = Join-Path $out 'OsvPS'
$dependencyOut = Join-Path $moduleOut 'Dependencies'
$results = Join-Path $out 'test-results'

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

# The PowerShell running this script, as a command that starts a fresh process of it.
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, (Join-Path $PSHOME 'pwsh.dll'))
    }
    return @($process)
}

# Copies a file only when its content differs, so an unchanged build leaves out/ untouched.
function Copy-IfChanged([string] $Source, [string] $Destination) {
    if ((Test-Path -LiteralPath $Destination) -and
        (Get-Item -LiteralPath $Destination).Length -eq (Get-Item -LiteralPath $Source).Length -and
        (Get-FileHash -LiteralPath $Destination).Hash -eq (Get-FileHash -LiteralPath $Source).Hash) {
        return
    }
    Copy-Item -LiteralPath $Source -Destination $Destination -Force
}

function Invoke-Build {
    $publish = Join-Path $out 'publish'
    Invoke-Dotnet publish (Join-Path $root 'src/OsvPS/OsvPS.csproj') -c $Configuration -o (Join-Path $publish 'OsvPS') --nologo -v quiet
    Invoke-Dotnet publish (Join-Path $root 'src/OsvPS.LoadContext/OsvPS.LoadContext.csproj') -c $Configuration -o (Join-Path $publish 'LoadContext') --nologo -v quiet

    New-Item -ItemType Directory -Force -Path $dependencyOut | Out-Null
    $wanted = [Collections.Generic.HashSet[string]]::new()
    foreach ($file in 'OsvPS.psd1', 'OsvPS.Format.ps1xml') {
        Copy-IfChanged (Join-Path $root "module/$file") (Join-Path $moduleOut $file)
        [void] $wanted.Add((Join-Path $moduleOut $file))
    }
    # The cmdlet assembly sits beside the manifest; everything it depends on goes to Dependencies/,
    # where only the module's own resolver finds it. The file list comes from the publish output.
    $files = @(Get-ChildItem -LiteralPath (Join-Path $publish 'OsvPS') -File -Filter *.dll) +
             @(Get-ChildItem -LiteralPath (Join-Path $publish 'LoadContext') -File -Filter 'OsvPS.LoadContext.dll')
    foreach ($file in $files) {
        $target = if ($file.Name -eq 'OsvPS.dll') { Join-Path $moduleOut $file.Name } else { Join-Path $dependencyOut $file.Name }
        Copy-IfChanged $file.FullName $target
        [void] $wanted.Add($target)
    }
    foreach ($help in Invoke-HelpBuild) { [void] $wanted.Add($help) }
    Get-ChildItem -LiteralPath $moduleOut -Recurse -File | Where-Object { -not $wanted.Contains($_.FullName) } | Remove-Item -Force
    Write-Host "Module ready: $moduleOut"
}

# docs/<Cmdlet>.md (platyPS's markdown layout) is the one source of the help: it is compiled here
# into out/OsvPS/en-US/OsvPS.dll-Help.xml (MAML), and each docs/about_*.md into an about topic (about_OsvPS, about_OsvPS_Libvirt).
function Read-HelpPage([string] $Path) {
    $text = (Get-Content -Raw -LiteralPath $Path) -replace "`r`n", "`n"
    $text = $text -replace '(?s)^---\n.*?\n---\n', ''
    $page = [ordered]@{ Name = ''; Sections = [ordered]@{} }
    $section = $null; $sub = $null
    foreach ($line in $text -split "`n") {
        if ($line -match '^# (.+)$' -and -not $page.Name) { $page.Name = $Matches[1].Trim(); continue }
        if ($line -match '^## (.+)$') { $section = $Matches[1].Trim(); $page.Sections[$section] = [ordered]@{ '' = [Collections.Generic.List[string]]::new() }; $sub = ''; continue }
        if ($line -match '^### (.+)$' -and $section) { $sub = $Matches[1].Trim(); $page.Sections[$section][$sub] = [Collections.Generic.List[string]]::new(); continue }
        if ($section) { $page.Sections[$section][$sub].Add($line) }
    }
    $page
}

# Paragraphs of markdown text (blank-line separated), code fences kept whole.
function Split-Paragraphs([string[]] $Lines) {
    $paragraphs = [Collections.Generic.List[string]]::new(); $current = [Collections.Generic.List[string]]::new(); $fence = $false
    foreach ($line in $Lines) {
        if ($line -match '^```') { $fence = -not $fence; continue }
        if (-not $fence -and -not $line.Trim()) { if ($current.Count) { $paragraphs.Add(($current -join "`n")); $current.Clear() }; continue }
        $current.Add($line)
    }
    if ($current.Count) { $paragraphs.Add(($current -join "`n")) }
    $paragraphs
}

function Write-Paragraphs($Xml, [string[]] $Lines) {
    foreach ($p in Split-Paragraphs $Lines) { $Xml.WriteElementString('maml', 'para', $maml, $p) }
}

function Get-CodeAndRest([string[]] $Lines) {
    $code = [Collections.Generic.List[string]]::new(); $rest = [Collections.Generic.List[string]]::new(); $state = 0
    foreach ($line in $Lines) {
        if ($line -match '^```') { $state++; continue }
        if ($state -eq 1) { $code.Add($line) } elseif ($state -ne 1) { $rest.Add($line) }
    }
    [pscustomobject]@{ Code = $code -join "`n"; Rest = $rest.ToArray() }
}

function Get-ParameterFacts([string[]] $Lines) {
    $facts = @{}; $description = [Collections.Generic.List[string]]::new(); $inYaml = $false
    foreach ($line in $Lines) {
        if ($line -match '^```yaml') { $inYaml = $true; continue }
        if ($line -match '^```') { $inYaml = $false; continue }
        if ($inYaml) { if ($line -match '^([\w ]+):\s?(.*)$') { $facts[$Matches[1]] = $Matches[2].Trim() } }
        else { $description.Add($line) }
    }
    $facts['Description'] = $description.ToArray()
    $facts
}

function Invoke-HelpBuild {
    $script:maml = 'http://schemas.microsoft.com/maml/2004/10'
    $command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    $dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    $helpOut = Join-Path $moduleOut 'en-US'
    New-Item -ItemType Directory -Force -Path $helpOut | Out-Null
    $settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
    $target = Join-Path $helpOut 'OsvPS.dll-Help.xml'
    $temp = "$target.tmp"
    $xml = [Xml.XmlWriter]::Create($temp, $settings)
    try {
        $xml.WriteStartDocument()
        $xml.WriteStartElement('helpItems', 'http://msh'); $xml.WriteAttributeString('schema', 'maml')
        foreach ($file in Get-ChildItem -LiteralPath (Join-Path $root 'docs') -Filter '*-*.md' | Sort-Object Name) {
            $page = Read-HelpPage $file.FullName
            $name = $page.Name; $verb, $noun = $name -split '-', 2
            $parameters = foreach ($entry in $page.Sections['PARAMETERS'].GetEnumerator()) {
                if ($entry.Key -like '-*') { $f = Get-ParameterFacts $entry.Value; $f['Name'] = $entry.Key.Substring(1); $f }
            }
            $xml.WriteStartElement('command', 'command', $command)
            $xml.WriteAttributeString('xmlns', 'maml', $null, $maml); $xml.WriteAttributeString('xmlns', 'dev', $null, $dev)
            $xml.WriteStartElement('command', 'details', $command)
            $xml.WriteElementString('command', 'name', $command, $name)
            $xml.WriteElementString('command', 'verb', $command, $verb)
            $xml.WriteElementString('command', 'noun', $command, $noun)
            $xml.WriteStartElement('maml', 'description', $maml); Write-Paragraphs $xml $page.Sections['SYNOPSIS']['']; $xml.WriteEndElement()
            $xml.WriteEndElement()
            $xml.WriteStartElement('maml', 'description', $maml); Write-Paragraphs $xml $page.Sections['DESCRIPTION']['']; $xml.WriteEndElement()

            $writeParameter = {
                param($p)
                $xml.WriteStartElement('command', 'parameter', $command)
                $xml.WriteAttributeString('required', "$($p['Required'])".ToLowerInvariant())
                $xml.WriteAttributeString('variableLength', "$($p['Type'] -like '*[[]]')".ToLowerInvariant())
                $xml.WriteAttributeString('globbing', "$($p['Accept wildcard characters'])".ToLowerInvariant())
                $xml.WriteAttributeString('pipelineInput', $p['Accept pipeline input'])
                $xml.WriteAttributeString('position', $(if ($p['Position'] -eq 'Named') { 'named' } else { $p['Position'] }))
                $xml.WriteAttributeString('aliases', $(if ($p['Aliases']) { $p['Aliases'] } else { 'none' }))
                $xml.WriteElementString('maml', 'name', $maml, $p['Name'])
                $xml.WriteStartElement('maml', 'description', $maml); Write-Paragraphs $xml $p['Description']; $xml.WriteEndElement()
                $xml.WriteStartElement('command', 'parameterValue', $command); $xml.WriteAttributeString('required', 'true'); $xml.WriteString($p['Type']); $xml.WriteEndElement()
                $xml.WriteStartElement('dev', 'type', $dev); $xml.WriteElementString('maml', 'name', $maml, $p['Type']); $xml.WriteEndElement()
                $xml.WriteElementString('dev', 'defaultValue', $dev, $p['Default value'])
                $xml.WriteEndElement()
            }
            $sets = @($parameters | ForEach-Object { $_['Parameter Sets'] -split ',\s*' } | Where-Object { $_ -and $_ -ne '(All)' } | Sort-Object -Unique)
            if (-not $sets) { $sets = @('(All)') }
            $xml.WriteStartElement('command', 'syntax', $command)
            foreach ($set in $sets) {
                $xml.WriteStartElement('command', 'syntaxItem', $command)
                $xml.WriteElementString('maml', 'name', $maml, $name)
                foreach ($p in $parameters) { $in = $p['Parameter Sets'] -split ',\s*'; if ($in -contains '(All)' -or $in -contains $set) { & $writeParameter $p } }
                $xml.WriteEndElement()
            }
            $xml.WriteEndElement()
            $xml.WriteStartElement('command', 'parameters', $command); foreach ($p in $parameters) { & $writeParameter $p }; $xml.WriteEndElement()

            foreach ($kind in @(@{ Section = 'INPUTS'; List = 'inputTypes'; Item = 'inputType' }, @{ Section = 'OUTPUTS'; List = 'returnValues'; Item = 'returnValue' })) {
                $xml.WriteStartElement('command', $kind.List, $command)
                foreach ($entry in $page.Sections[$kind.Section].GetEnumerator()) {
                    if (-not $entry.Key) { continue }
                    $xml.WriteStartElement('command', $kind.Item, $command)
                    $xml.WriteStartElement('dev', 'type', $dev); $xml.WriteElementString('maml', 'name', $maml, $entry.Key); $xml.WriteEndElement()
                    $xml.WriteStartElement('maml', 'description', $maml); Write-Paragraphs $xml $entry.Value; $xml.WriteEndElement()
                    $xml.WriteEndElement()
                }
                $xml.WriteEndElement()
            }
            $xml.WriteStartElement('maml', 'alertSet', $maml); $xml.WriteStartElement('maml', 'alert', $maml)
            Write-Paragraphs $xml $page.Sections['NOTES']['']
            $xml.WriteEndElement(); $xml.WriteEndElement()

            $xml.WriteStartElement('command', 'examples', $command)
            foreach ($entry in $page.Sections['EXAMPLES'].GetEnumerator()) {
                if (-not $entry.Key) { continue }
                $example = Get-CodeAndRest $entry.Value
                $xml.WriteStartElement('command', 'example', $command)
                $xml.WriteElementString('maml', 'title', $maml, "-------------------------- $($entry.Key) --------------------------")
                $xml.WriteElementString('dev', 'code', $dev, $example.Code)
                $xml.WriteStartElement('dev', 'remarks', $dev); Write-Paragraphs $xml $example.Rest; $xml.WriteEndElement()
                $xml.WriteEndElement()
            }
            $xml.WriteEndElement()
            $xml.WriteStartElement('command', 'relatedLinks', $command)
            $xml.WriteStartElement('maml', 'navigationLink', $maml); $xml.WriteElementString('maml', 'linkText', $maml, 'about_OsvPS'); $xml.WriteElementString('maml', 'uri', $maml, ''); $xml.WriteEndElement()
            $xml.WriteEndElement()
            $xml.WriteEndElement()
        }
        $xml.WriteEndElement()
        $xml.WriteEndDocument()
    }
    finally { $xml.Dispose() }
    Move-Item -LiteralPath $temp -Destination $target -Force
    # about_ topics are plain text: the markdown headings become the topic's capitalised headings.
    $written = @($target)
    foreach ($page in Get-ChildItem -LiteralPath (Join-Path $root 'docs') -Filter 'about_*.md') {
        $about = (Get-Content -LiteralPath $page.FullName) | ForEach-Object {
            if ($_ -match '^#{1,2} (.+)$') { $Matches[1].ToUpperInvariant() } elseif ($_ -match '^### (.+)$') { '  ' + $Matches[1] } else { $_ }
        }
        $topic = Join-Path $helpOut ($page.BaseName + '.help.txt')
        Set-Content -LiteralPath $topic -Value $about
        $written += $topic
    }
    $written
}

function Get-NuGetPackageFolder([string] $Id, [string] $Version) {
    $line = (& dotnet nuget locals global-packages --list) -join "`n"
    if ($line -notmatch 'global-packages:\s*(.+)$') { throw "cannot find the NuGet global packages folder: $line" }
    Join-Path $Matches[1].Trim() "$($Id.ToLowerInvariant())/$Version"
}

function Invoke-Test {
    Invoke-Build
    New-Item -ItemType Directory -Force -Path $results | Out-Null
    $passed = 0; $failed = 0; $skipped = 0

    if (-not $PesterFilter) {
        $trx = Join-Path $results 'xunit.trx'
        Remove-Item -LiteralPath $trx -ErrorAction Ignore
        & dotnet test (Join-Path $root 'tests/OsvPS.Core.Tests/OsvPS.Core.Tests.csproj') -c $Configuration --nologo `
            --logger 'trx;LogFileName=xunit.trx' --logger 'console;verbosity=minimal' --results-directory $results
        $xunitExit = $LASTEXITCODE
        if (-not (Test-Path -LiteralPath $trx)) { throw "the xunit run wrote no results (exit code $xunitExit)" }
        $counters = ([xml](Get-Content -Raw -LiteralPath $trx)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        $skipped += [int]$counters.notExecuted
        if ($xunitExit -ne 0 -and [int]$counters.failed -eq 0) { $failed += 1; Write-Warning "dotnet test exited with $xunitExit" }
    }

    Invoke-Dotnet restore (Join-Path $root 'tests/Pester/TestDependencies.proj') --nologo -v quiet
    $pester = Get-NuGetPackageFolder 'Pester' '5.7.1'
    $summary = Join-Path $results 'pester.json'
    Remove-Item -LiteralPath $summary -ErrorAction Ignore
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $root 'tests/Pester/Invoke-PesterSuite.ps1') `
        -PesterPath $pester -ModulePath $moduleOut -SummaryPath $summary -Filter ($PesterFilter ?? '')
    if (-not (Test-Path -LiteralPath $summary)) {
        $failed += 1
        Write-Warning "the Pester run wrote no summary (exit code $LASTEXITCODE)"
    }
    else {
        $p = Get-Content -Raw -LiteralPath $summary | ConvertFrom-Json
        $passed += $p.Passed; $failed += $p.Failed; $skipped += $p.Skipped
    }

    $line = "$passed passed, $failed failed"
    if ($skipped) { $line += ", $skipped skipped" }
    Write-Host $line
    if ($failed -gt 0) { exit 1 }
}

# The main job, run in a fresh process against the built module so it sees what a user sees.
$demoScript = {
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
}

function Invoke-Demo {
    Invoke-Build
    $pwsh = Get-PwshCommand
    $script = "& { $demoScript } -ModulePath '$moduleOut' -WorkPath '$(Join-Path $out 'demo')' -Root '$root'"
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script
    if ($LASTEXITCODE -ne 0) { throw "the demo failed (exit code $LASTEXITCODE)" }
}

switch ($Task) {
    'build' { Invoke-Build }
    'test' { Invoke-Test }
    'demo' { Invoke-Demo }
    'clean' {
        Remove-Item -Recurse -Force -LiteralPath $out -ErrorAction Ignore
        Get-ChildItem -LiteralPath (Join-Path $root 'src'), (Join-Path $root 'tests') -Recurse -Directory -Include bin, obj |
            Remove-Item -Recurse -Force
    }
}
