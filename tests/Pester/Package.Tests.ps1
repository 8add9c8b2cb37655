# The module as users install it: the package build.ps1 package makes (tools/New-ModulePackage.ps1 on the
# built module), published to a local file repository, installed with Install-PSResource into a
# temporary HOME, imported in a fresh PowerShell whose PATH has no .NET SDK and whose folder is not the
# source tree, and the seed's pipelines run from it on the real OSv kernel.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $osv = Find-RealOsv
    $package = & (Join-Path $PSScriptRoot '../../tools/New-ModulePackage.ps1') -ModulePath (Get-OsvTestModulePath) -OutPath (Join-Path $TestDrive 'package')
}

Describe 'The installed module' {
    It 'is a .nupkg PSResourceGet made, holding the manifest, the assemblies and the help' {
        $package | Should -Exist
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($package)
        try { $entries = $zip.Entries.FullName } finally { $zip.Dispose() }
        foreach ($file in 'OsvPS.psd1', 'OsvPS.dll', 'OsvPS.Format.ps1xml', 'OsvPS.nuspec', 'Dependencies/OsvPS.Core.dll', 'Dependencies/YamlDotNet.dll', 'en-US/OsvPS.dll-Help.xml') {
            $entries | Should -Contain $file
        }
    }

    It 'installs with Install-PSResource and runs the seed''s pipelines on the real kernel' {
        if (-not $osv.Loader) { Set-ItResult -Skipped -Because $osv.Reason; return }
        $work = Join-Path $TestDrive 'user'
        New-Item -ItemType Directory -Force $work | Out-Null
        New-RealOsvRepository (Join-Path $work 'capstan') $osv | Out-Null
        $script = @'
param($PackageFolder, $Work)
$ErrorActionPreference = 'Stop'
Set-Location $Work
Register-PSResourceRepository -Name local -Uri $PackageFolder -Trusted
Install-PSResource OsvPS -Repository local -Scope CurrentUser -TrustRepository -Quiet
Import-Module OsvPS
"module: $((Get-Module OsvPS).ModuleBase)"
New-OsvProject demo | Out-Null
Set-Content demo/meta/run.yaml "runtime: native`nconfig_set:`n  say_hey:`n    bootcmd: /echo.so Hey hey!`n"
New-Item -ItemType Directory build | Out-Null
Set-Content build/echo.c '#include <stdio.h>
int main(int argc, char **argv) { for (int i = 1; i < argc; i++) printf("%s%s", argv[i], i + 1 < argc ? " " : "\n"); return 0; }'
& gcc -fPIC -shared -o build/echo.so build/echo.c
Set-Location build
Get-ChildItem *.so | Add-OsvBinary -Project ../demo | Out-Null
Set-Location ..
Build-OsvImage demo | Start-OsvInstance -Boot say_hey -Wait -Timeout 60 | ForEach-Object { "$_" }
'@
        Set-Content -LiteralPath (Join-Path $work 'seed.ps1') -Value $script
        $process = [Environment]::ProcessPath
        $info = [Diagnostics.ProcessStartInfo]::new($process)
        if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $info.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', (Join-Path $work 'seed.ps1'), (Split-Path $package), $work) { $info.ArgumentList.Add($a) }
        # .NET reports a data folder that does not exist as empty (PSResourceGet would then write into the current folder).
        foreach ($sub in '.local/share', '.config', '.cache') { New-Item -ItemType Directory -Force (Join-Path $work "home/$sub") | Out-Null }
        $info.WorkingDirectory = $work
        $info.Environment['HOME'] = Join-Path $work 'home'
        $info.Environment['XDG_DATA_HOME'] = Join-Path $work 'home/.local/share'
        $info.Environment['XDG_CONFIG_HOME'] = Join-Path $work 'home/.config'
        $info.Environment['XDG_CACHE_HOME'] = Join-Path $work 'home/.cache'
        $info.Environment['PSModulePath'] = ''
        $info.Environment['CAPSTAN_ROOT'] = Join-Path $work 'capstan'
        # No .NET SDK on the PATH: only the system's folders (QEMU, gcc). The runtime runs PowerShell by its path.
        $info.Environment['PATH'] = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
        $info.Environment.Remove('OSVPS_TEST_MODULE') | Out-Null
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.UseShellExecute = $false
        $child = [Diagnostics.Process]::Start($info)
        $stderr = $child.StandardError.ReadToEndAsync()
        $output = $child.StandardOutput.ReadToEnd()
        $child.WaitForExit(240000) | Should -BeTrue
        $lines = $output -split "`n" | ForEach-Object TrimEnd
        $child.ExitCode | Should -Be 0 -Because "$output $($stderr.Result)"
        ($lines | Where-Object { $_ -like 'module: *' }) | Should -BeLike "module: $(Join-Path $work 'home')*"
        $lines | Should -Contain 'Hey hey!'
    }
}
