# Shared by the Pester files: where the built module is, and a fresh PowerShell process.

function Get-OsvTestModulePath {
    if (-not $env:OSVPS_TEST_MODULE) { throw 'OSVPS_TEST_MODULE is not set; run the suite through ./build.ps1 test.' }
    $env:OSVPS_TEST_MODULE
}

# Runs a script in a new PowerShell process (the same PowerShell as this one) and returns its output lines.
function Invoke-FreshPwsh([string] $Script) {
    $process = [Environment]::ProcessPath
    [string[]] $prefix = @()
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
    & $process @prefix -NoProfile -NonInteractive -EncodedCommand $encoded 2>&1
}

Export-ModuleMember -Function Get-OsvTestModulePath, Invoke-FreshPwsh
