# The help users read in the shell, compiled by the build from docs/ (one page per cmdlet, in
# platyPS's layout) into en-US/OsvPS.dll-Help.xml, and about_OsvPS.
BeforeDiscovery {
    $modulePath = $env:OSVPS_TEST_MODULE
    $names = (Import-PowerShellDataFile (Join-Path $modulePath 'OsvPS.psd1')).CmdletsToExport
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    $docs = Join-Path $PSScriptRoot '../../docs'
    # Each parameter's yaml blocks of facts as the docs page states them: one block for each group
    # of parameter sets in which the parameter behaves alike.
    function Get-DocParameters([string] $Name) {
        $text = (Get-Content -Raw (Join-Path $docs "$Name.md")) -replace "`r`n", "`n"
        $found = @{}
        foreach ($m in [regex]::Matches($text, '(?ms)^### -(\w+)\s*\n(.*?)(?=^##)')) {
            $blocks = foreach ($y in [regex]::Matches($m.Groups[2].Value, '(?ms)^```yaml\n(.*?)```')) {
                $facts = @{}
                foreach ($line in $y.Groups[1].Value -split "`n") { if ($line -match '^([\w ]+):\s?(.*)$') { $facts[$Matches[1]] = $Matches[2].Trim() } }
                $facts['Sets'] = @($facts['Parameter Sets'] -split ',\s*' | Where-Object { $_ })
                $facts
            }
            $found[$m.Groups[1].Value] = @($blocks)
        }
        $found
    }
}

Describe 'Get-Help <_>' -ForEach $names {
    BeforeAll { $name = $_; $help = Get-Help $name -Full; $command = Get-Command $name }

    It 'has a synopsis that is not the syntax line, and a description' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$name *[[]*"
        ($help.description | Out-String).Trim().Length | Should -BeGreaterThan 40
    }

    It 'describes every parameter of its own' {
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $text = ($help.parameters.parameter | Where-Object name -eq $parameter).description.Text -join ' '
            $text.Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter of $name needs a description"
            (Get-Help $name -Parameter $parameter).name | Should -Be $parameter
        }
    }

    It 'has an example with its real output' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterThan 0
        $withOutput = $examples | Where-Object { ($_.code -split "`n") | Where-Object { $_.Trim() -and $_ -notmatch '^(PS>|#)' } }
        $withOutput | Should -Not -BeNullOrEmpty -Because "an example of $name shows what it writes"
    }

    It 'has a docs page that states the parameters'' facts as they are, set by set' {
        $documented = Get-DocParameters $name
        $own = $command.Parameters.Values | Where-Object { $_.Name -notin $common }
        @($documented.Keys | Sort-Object) | Should -Be @($own.Name | Sort-Object)
        foreach ($p in $own) {
            $blocks = $documented[$p.Name]
            $blocks.Count | Should -BeGreaterThan 0 -Because "-$($p.Name) needs a yaml block of facts"
            $inAll = $p.ParameterSets.ContainsKey('__AllParameterSets')
            $sets = @($blocks | ForEach-Object { $_['Sets'] })
            if ($inAll) { $sets | Should -Be @('(All)') -Because "-$($p.Name) is in every parameter set" }
            else { @($sets | Sort-Object) | Should -Be @($p.ParameterSets.Keys | Sort-Object) -Because "-$($p.Name) parameter sets" }
            $type = if ($p.ParameterType.IsGenericType -and $p.ParameterType.GetGenericTypeDefinition() -eq [Nullable`1]) { $p.ParameterType.GetGenericArguments()[0].Name } else { $p.ParameterType.Name }
            foreach ($set in $p.ParameterSets.GetEnumerator()) {
                $facts = if ($inAll) { $blocks[0] } else { $blocks | Where-Object { $_['Sets'] -contains $set.Key } }
                $because = "-$($p.Name) in set $($set.Key)"
                $facts['Required'] | Should -Be ([string]$set.Value.IsMandatory) -Because "$because Required"
                $facts['Position'] | Should -Be $(if ($set.Value.Position -ge 0) { "$($set.Value.Position)" } else { 'Named' }) -Because "$because Position"
                $facts['Accept pipeline input'] -like 'True*' | Should -Be ($set.Value.ValueFromPipeline -or $set.Value.ValueFromPipelineByPropertyName) -Because "$because pipeline input"
                $facts['Accept wildcard characters'] | Should -Be ([string][bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })) -Because "$because wildcards"
                $facts['Type'] | Should -Be $type -Because "$because type"
            }
        }
    }

    It 'has an online version (Get-Help -Online): its docs page on the project''s site' {
        $manifest = Import-PowerShellDataFile (Join-Path (Get-OsvTestModulePath) 'OsvPS.psd1')
        $first = @($help.relatedLinks.navigationLink | Where-Object { $_.uri })[0]
        $first.uri | Should -Be "$($manifest.PrivateData.PSData.ProjectUri)/blob/main/docs/$name.md"
        Test-Path -LiteralPath (Join-Path $PSScriptRoot "../../docs/$name.md") | Should -BeTrue
    }

    It 'shows in each syntax line which parameters that set requires' {
        $items = @($help.syntax.syntaxItem)
        $sets = @($command.ParameterSets)
        $items.Count | Should -Be $sets.Count
        foreach ($set in $sets) {
            $names = @($set.Parameters | Where-Object { $_.Name -notin $common } | ForEach-Object Name | Sort-Object)
            $item = $items | Where-Object { @($_.parameter | ForEach-Object name | Sort-Object) -join ',' -eq ($names -join ',') } | Select-Object -First 1
            $item | Should -Not -BeNullOrEmpty -Because "set $($set.Name) of $name needs its own syntax line"
            foreach ($p in $set.Parameters | Where-Object { $_.Name -notin $common }) {
                $shown = $item.parameter | Where-Object name -eq $p.Name
                "$($shown.required)" | Should -Be ([string]$p.IsMandatory).ToLowerInvariant() -Because "-$($p.Name) in set $($set.Name)"
                "$($shown.position)" | Should -Be $(if ($p.Position -ge 0) { "$($p.Position)" } else { 'named' }) -Because "-$($p.Name) position in set $($set.Name)"
            }
        }
        foreach ($p in $command.Parameters.Values | Where-Object { $_.Name -notin $common }) {
            $always = @($p.ParameterSets.Values | Where-Object { -not $_.IsMandatory }).Count -eq 0
            "$((Get-Help $name -Parameter $p.Name).required)" | Should -Be ([string]$always).ToLowerInvariant() -Because "-$($p.Name) is required in every set it is in, or not"
        }
    }
}

Describe 'The help as a whole' {
    It 'has a page for each exported cmdlet and none for others' {
        $pages = Get-ChildItem $docs -Filter '*-*.md' | ForEach-Object BaseName | Sort-Object
        $pages | Should -Be @((Get-Command -Module OsvPS).Name | Sort-Object)
    }

    It 'has the about_OsvPS_Libvirt topic' {
        $about = Get-Help about_OsvPS_Libvirt | Out-String
        $about | Should -Match 'qemu\+ssh://'
        $about | Should -Match 'LibvirtNotSupported'
        $about | Should -Match 'StoragePool'
    }

    It 'has the about_OsvPS topic' {
        $about = Get-Help about_OsvPS | Out-String
        $about | Should -Match 'CAPSTAN_ROOT'
        $about | Should -Match 'runscript /run/'
        $about | Should -Match 'Failed'
        $about | Should -Match 'Save-OsvImage'
    }
}
