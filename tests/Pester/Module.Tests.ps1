BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-OsvTestModulePath
    Import-Module $modulePath -Force
    $manifest = Import-PowerShellDataFile (Join-Path $modulePath 'OsvPS.psd1')
}

Describe 'Hosts OsvPS does not run on' {
    It 'are told so at import with what works, not with a DllNotFoundException' {
        $why = [OsvPS.ModuleInitializer]::WhyNot($false, [Runtime.InteropServices.Architecture]::Arm64, 'Microsoft Windows 10.0')
        $why | Should -BeLike 'OsvPS runs on Linux x86-64*Microsoft Windows 10.0 (Arm64)*'
        [OsvPS.ModuleInitializer]::WhyNot($true, [Runtime.InteropServices.Architecture]::X64, 'Debian') | Should -BeNullOrEmpty
    }
}

Describe 'OsvPS module' {
    It 'exports exactly the cmdlets its manifest lists, and no functions' {
        $exported = (Get-Module OsvPS).ExportedCmdlets.Keys | Sort-Object
        $exported | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        (Get-Module OsvPS).ExportedFunctions.Count | Should -Be 0
    }

    It 'claims only what is tested: PowerShell 7 (Core), with its format file and package metadata' {
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        $manifest.PowerShellVersion | Should -Be '7.4'
        $manifest.PrivateData.PSData.ProjectUri | Should -Not -BeNullOrEmpty
        $manifest.PrivateData.PSData.LicenseUri | Should -Not -BeNullOrEmpty
        $manifest.PrivateData.PSData.ReleaseNotes | Should -Not -BeNullOrEmpty
        $manifest.PrivateData.PSData.Tags | Should -Contain 'OSv'
        $manifest.FormatsToProcess | Should -Be @('OsvPS.Format.ps1xml')
        $manifest.Keys | Should -Not -Contain 'RequiredAssemblies'
        $manifest.Keys | Should -Not -Contain 'NestedModules'
    }

    It 'keeps third-party assemblies out of the module root' {
        $root = Get-ChildItem -LiteralPath $modulePath -File | ForEach-Object Name | Sort-Object
        $root | Should -Be @('OsvPS.dll', 'OsvPS.Format.ps1xml', 'OsvPS.psd1', 'OsvPS.psm1')
        $deps = Get-ChildItem -LiteralPath (Join-Path $modulePath 'Dependencies') -File | ForEach-Object Name
        $deps | Should -Contain 'OsvPS.Core.dll'
        $deps | Should -Contain 'YamlDotNet.dll'
        $deps | Should -Contain 'OsvPS.LoadContext.dll'
        $deps | Should -Not -Contain 'System.Management.Automation.dll'
    }

    It 'is built for .NET 8 (PowerShell 7.4 and later), with no .NET Standard build left for Windows PowerShell' {
        foreach ($file in (Join-Path $modulePath 'OsvPS.dll'), (Join-Path $modulePath 'Dependencies/OsvPS.Core.dll')) {
            $bytes = [IO.File]::ReadAllBytes($file)
            $assembly = [Reflection.Assembly]::Load($bytes)
            $target = $assembly.GetCustomAttributesData() | Where-Object { $_.AttributeType.Name -eq 'TargetFrameworkAttribute' }
            $target.ConstructorArguments[0].Value | Should -Be '.NETCoreApp,Version=v8.0' -Because $file
        }
    }

    It 'loads its YamlDotNet in its own load context' {
        $yaml = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'YamlDotNet' }
        # Loading happens on first use.
        $dir = Join-Path $TestDrive 'p'
        New-OsvProject $dir -BootCommand /x | Out-Null
        Get-OsvProject $dir | Out-Null
        $yaml = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'YamlDotNet' }
        $contexts = $yaml | ForEach-Object { [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name }
        $contexts | Should -Contain 'OsvPS.Dependencies'
    }

    It 'loads its cmdlets in that context too, so parameters are typed with the core''s enums' {
        $command = Get-Command Build-OsvImage
        [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($command.ImplementingType.Assembly).Name | Should -Be 'OsvPS.Dependencies'
        $command.Parameters.Format.ParameterType.FullName | Should -Be 'OsvPS.Core.Disk.DiskFormat'
        $command.Parameters.Format.ParameterType.IsEnum | Should -BeTrue
    }

    It 'keeps its cmdlets when imported again, with -Force or after Remove-Module' {
        $project = Join-Path $TestDrive 'again'
        $output = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Import-Module '$modulePath'
Import-Module '$modulePath' -Force
'FORCE=' + (Get-Module OsvPS).ExportedCmdlets.Count
Remove-Module OsvPS
Import-Module '$modulePath'
'REMOVE=' + (Get-Module OsvPS).ExportedCmdlets.Count
(New-OsvProject '$project' -BootCommand '/x').Name
"@
        $count = $manifest.CmdletsToExport.Count
        $output | Should -Contain "FORCE=$count"
        $output | Should -Contain "REMOVE=$count"
        $output | Should -Contain 'again'
    }

    It 'says plainly that a second copy needs a new session, instead of running the first copy''s code under its name' {
        $copy = Join-Path $TestDrive 'copy/OsvPS'
        Copy-Item -Recurse $modulePath $copy
        $output = Invoke-FreshPwsh @"
Import-Module '$modulePath'
Remove-Module OsvPS
try { Import-Module '$copy' -ErrorAction Stop; 'IMPORTED' } catch { 'REFUSED: ' + `$_.Exception.Message }
"@
        ($output -join ' ') | Should -Match "REFUSED: .*OsvPS from '$([regex]::Escape($modulePath))' is already loaded in this PowerShell session; start a new session"
    }

    It 'imports and works where another YamlDotNet version is already loaded' {
        $old = Join-Path ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim() 'yamldotnet/13.7.1/lib/netstandard2.0/YamlDotNet.dll'
        Test-Path -LiteralPath $old | Should -BeTrue -Because 'build.ps1 restores YamlDotNet 13.7.1 for this test'
        $project = Join-Path $TestDrive 'clash'
        $output = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Add-Type -LiteralPath '$old'
`$null = [YamlDotNet.Serialization.DeserializerBuilder]::new().Build().Deserialize[object]('a: 1')
Import-Module '$modulePath'
New-OsvProject '$project' -BootCommand '/hello.so' -ConfigSet web | Out-Null
`$p = Get-OsvProject '$project'
'SET=' + `$p.ConfigSets[0].Name
`$majors = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object { `$_.GetName().Version.Major } | Sort-Object
'VERSIONS=' + (`$majors -join ',')
"@
        $output | Should -Contain 'SET=web'
        ($output | Where-Object { "$_" -like 'VERSIONS=*' }) | Should -Match '^VERSIONS=13,1[4-9]$'
    }

    It 'reads JSON where another System.Text.Json version is already loaded' {
        $packages = ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
        $other = Join-Path $packages 'system.text.json/11.0.0/lib/net10.0/System.Text.Json.dll'
        $pipelines = Join-Path $packages 'system.io.pipelines/11.0.0/lib/net10.0/System.IO.Pipelines.dll'
        Test-Path -LiteralPath $other | Should -BeTrue -Because 'build.ps1 restores System.Text.Json 11.0.0 for this test'
        $helpers = Join-Path $PSScriptRoot 'TestHelpers.psm1'
        $root = Join-Path $TestDrive 'json-clash'
        New-Item -ItemType Directory $root | Out-Null
        $output = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
`$context = [Runtime.Loader.AssemblyLoadContext]::new('another-module', `$false)
`$null = `$context.LoadFromAssemblyPath('$pipelines')
`$json = `$context.LoadFromAssemblyPath('$other')
`$document = `$json.GetType('System.Text.Json.JsonDocument')
`$null = `$document.GetMethod('Parse', [type[]]@([string], `$json.GetType('System.Text.Json.JsonDocumentOptions'))).Invoke(`$null, @('{"a": 1}', [Activator]::CreateInstance(`$json.GetType('System.Text.Json.JsonDocumentOptions'))))
Import-Module '$helpers'
Import-Module '$modulePath'
`$site = New-TestReleaseSite '$root'
try { 'LOADERS=' + ((Find-OsvImage '*' -Source `$site.Url).Release -join ',') } finally { `$site.Stop.Invoke() }
`$versions = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'System.Text.Json' } | ForEach-Object { `$_.GetName().Version.Major } | Sort-Object -Unique
'VERSIONS=' + (`$versions -join ',')
"@
        $output | Should -Contain 'LOADERS=v0.56.0,v0.57.0'
        ($output | Where-Object { "$_" -like 'VERSIONS=*' }) | Should -Be 'VERSIONS=10,11'
    }

    It 'gives every cmdlet an OutputType that is not object' {
        foreach ($command in Get-Command -Module OsvPS) {
            $command.OutputType.Type | Should -Not -BeNullOrEmpty -Because $command.Name
            $command.OutputType.Type | Should -Not -Be ([object]) -Because $command.Name
        }
    }
}
