<#
.SYNOPSIS
    Compiles the help: docs/<Cmdlet>.md (platyPS's markdown layout), the one source of the shell's
    help, into <OutPath>/OsvPS.dll-Help.xml (MAML), and each docs/about_*.md into an about topic.
    Writes the paths of the files it made to the pipeline.
#>
param(
    [Parameter(Mandatory)] [string] $DocsPath,
    [Parameter(Mandatory)] [string] $OutPath
)
# Where the docs pages are read online: docs/ of the project the manifest names.
$onlineDocs = (Import-PowerShellDataFile (Join-Path $PSScriptRoot '../module/OsvPS.psd1')).PrivateData.PSData.ProjectUri.TrimEnd('/') + '/blob/main/docs'
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

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

# A parameter's description and its facts: one yaml block for each group of parameter sets in
# which the parameter behaves alike (platyPS writes several when, say, it is required in one set only).
function Get-ParameterFacts([string[]] $Lines) {
    $blocks = [Collections.Generic.List[hashtable]]::new(); $description = [Collections.Generic.List[string]]::new(); $block = $null
    foreach ($line in $Lines) {
        if ($line -match '^```yaml') { $block = @{}; continue }
        if ($line -match '^```') { if ($null -ne $block) { $blocks.Add($block) }; $block = $null; continue }
        if ($null -ne $block) { if ($line -match '^([\w ]+):\s?(.*)$') { $block[$Matches[1]] = $Matches[2].Trim() } }
        else { $description.Add($line) }
    }
    if (-not $blocks.Count) { throw "a parameter has no yaml block of facts: $($Lines -join ' ')" }
    foreach ($b in $blocks) { $b['Sets'] = @($b['Parameter Sets'] -split ',\s*' | Where-Object { $_ }) }
    $facts = $blocks[0].Clone()
    # Across sets: required only where it is required in every set; a position where it has one.
    $positional = @($blocks | Where-Object { $_['Position'] -ne 'Named' })
    if ($positional) { $facts['Position'] = $positional[0]['Position'] }
    $facts['Required'] = [string](@($blocks | Where-Object { $_['Required'] -ne 'True' }).Count -eq 0)
    $facts['Blocks'] = $blocks.ToArray()
    $facts['Description'] = $description.ToArray()
    $facts
}

# The facts of a parameter in one parameter set, or $null when it is not in that set.
function Get-FactsInSet($Parameter, [string] $Set) {
    foreach ($b in $Parameter['Blocks']) {
        if ($b['Sets'] -contains '(All)' -or $b['Sets'] -contains $Set) {
            $inSet = $b.Clone(); $inSet['Name'] = $Parameter['Name']; $inSet['Description'] = $Parameter['Description']
            return $inSet
        }
    }
    $null
}

function Invoke-HelpBuild {
    $script:maml = 'http://schemas.microsoft.com/maml/2004/10'
    $command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    $dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    $helpOut = $OutPath
    New-Item -ItemType Directory -Force -Path $helpOut | Out-Null
    $settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
    $target = Join-Path $helpOut 'OsvPS.dll-Help.xml'
    $temp = "$target.tmp"
    $xml = [Xml.XmlWriter]::Create($temp, $settings)
    try {
        $xml.WriteStartDocument()
        $xml.WriteStartElement('helpItems', 'http://msh'); $xml.WriteAttributeString('schema', 'maml')
        foreach ($file in Get-ChildItem -LiteralPath ($DocsPath) -Filter '*-*.md' | Sort-Object Name) {
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
                if ($p['Type'] -ne 'SwitchParameter') { $xml.WriteStartElement('command', 'parameterValue', $command); $xml.WriteAttributeString('required', 'true'); $xml.WriteString($p['Type']); $xml.WriteEndElement() }
                $xml.WriteStartElement('dev', 'type', $dev); $xml.WriteElementString('maml', 'name', $maml, $p['Type']); $xml.WriteEndElement()
                $xml.WriteElementString('dev', 'defaultValue', $dev, $p['Default value'])
                $xml.WriteEndElement()
            }
            $sets = @($parameters | ForEach-Object { $_['Blocks'] } | ForEach-Object { $_['Sets'] } | Where-Object { $_ -ne '(All)' } | Sort-Object -Unique)
            if (-not $sets) { $sets = @('(All)') }
            $xml.WriteStartElement('command', 'syntax', $command)
            foreach ($set in $sets) {
                $xml.WriteStartElement('command', 'syntaxItem', $command)
                $xml.WriteElementString('maml', 'name', $maml, $name)
                # As PowerShell writes a syntax line: positional parameters first, in their order.
                $inSet = @(foreach ($p in $parameters) { Get-FactsInSet $p $set }) | Where-Object { $_ }
                $ordered = @($inSet | Where-Object { $_['Position'] -ne 'Named' } | Sort-Object { [int]$_['Position'] }) + @($inSet | Where-Object { $_['Position'] -eq 'Named' })
                foreach ($p in $ordered) { & $writeParameter $p }
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
            # Get-Help -Online opens the first link with an address: the page this help is made from, on the project's site.
            $xml.WriteStartElement('maml', 'navigationLink', $maml); $xml.WriteElementString('maml', 'linkText', $maml, 'Online Version:'); $xml.WriteElementString('maml', 'uri', $maml, "$onlineDocs/$name.md"); $xml.WriteEndElement()
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
    foreach ($page in Get-ChildItem -LiteralPath ($DocsPath) -Filter 'about_*.md') {
        $about = (Get-Content -LiteralPath $page.FullName) | ForEach-Object {
            if ($_ -match '^#{1,2} (.+)$') { $Matches[1].ToUpperInvariant() } elseif ($_ -match '^### (.+)$') { '  ' + $Matches[1] } else { $_ }
        }
        $topic = Join-Path $helpOut ($page.BaseName + '.help.txt')
        Set-Content -LiteralPath $topic -Value $about
        $written += $topic
    }
    $written
}

Invoke-HelpBuild
