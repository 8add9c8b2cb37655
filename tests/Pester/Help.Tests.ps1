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
    function Get-DocParameters([string] $Name) {
        $text = Get-Content -Raw (Join-Path $docs "$Name.md")
        $found = @{}
        foreach ($m in [regex]::Matches($text, '(?ms)^### -(\w+)\s*\n(.*?)```yaml\n(.*?)```')) {
            $facts = @{}
            foreach ($line in $m.Groups[3].Value -split "`n") { if ($line -match '^([\w ]+):\s?(.*)$') { $facts[$Matches[1]] = $Matches[2].Trim() } }
            $found[$m.Groups[1].Value] = $facts
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

    It 'has a docs page that states the parameters'' facts as they are' {
        $documented = Get-DocParameters $name
        $own = $command.Parameters.Values | Where-Object { $_.Name -notin $common }
        @($documented.Keys | Sort-Object) | Should -Be @($own.Name | Sort-Object)
        foreach ($p in $own) {
            $facts = $documented[$p.Name]
            $attributes = $p.Attributes | Where-Object { $_ -is [Parameter] }
            $facts['Required'] | Should -Be ([string][bool]($attributes | Where-Object Mandatory)) -Because "-$($p.Name) Required"
            $position = ($attributes | Select-Object -First 1).Position
            $facts['Position'] | Should -Be $(if ($position -ge 0) { "$position" } else { 'Named' }) -Because "-$($p.Name) Position"
            $byValue = [bool]($attributes | Where-Object ValueFromPipeline); $byName = [bool]($attributes | Where-Object ValueFromPipelineByPropertyName)
            $facts['Accept pipeline input'] -like 'True*' | Should -Be ($byValue -or $byName) -Because "-$($p.Name) pipeline input"
            $facts['Accept wildcard characters'] | Should -Be ([string][bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })) -Because "-$($p.Name) wildcards"
            $type = if ($p.ParameterType.IsGenericType -and $p.ParameterType.GetGenericTypeDefinition() -eq [Nullable`1]) { $p.ParameterType.GetGenericArguments()[0].Name } else { $p.ParameterType.Name }
            $facts['Type'] | Should -Be $type -Because "-$($p.Name) type"
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
