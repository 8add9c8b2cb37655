# OsvPS's root module. The cmdlets (OsvPS.dll) are loaded into OsvPS's own assembly load context with the
# core and its libraries (Dependencies/), then imported from there: cmdlet parameters can then be typed with
# the core's enums, and another module's YamlDotNet cannot clash with ours.
$firstImport = -not ('OsvPS.LoadContext.DependencyLoadContext' -as [type])
if ($firstImport) {
    Add-Type -LiteralPath (Join-Path $PSScriptRoot 'Dependencies/OsvPS.LoadContext.dll')
}
$cmdlets = [OsvPS.LoadContext.DependencyLoadContext]::Initialize((Join-Path $PSScriptRoot 'OsvPS.dll'))
$inner = Microsoft.PowerShell.Core\Import-Module -Assembly $cmdlets -PassThru
if (-not $firstImport -and $inner) {
    # Imported again in the same process (Import-Module -Force, or after Remove-Module): PowerShell hands back
    # the binary module it cached and does not give its cmdlets to this module again
    # (PowerShell/PowerShell#20710), so they are given here.
    $give = [Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [Reflection.BindingFlags] 'Instance, NonPublic')
    if ($give) {
        foreach ($command in $inner.ExportedCmdlets.Values) {
            $give.Invoke($ExecutionContext.SessionState.Module, @(, $command)) | Out-Null
        }
    }
    else {
        # Tested on PowerShell 7.6; a version without that method gets a clear word instead of a null-method error.
        Write-Warning "OsvPS was imported again in this session, and this PowerShell ($($PSVersionTable.PSVersion)) does not let it give its cmdlets to the new import; start a new session to use them."
    }
}

