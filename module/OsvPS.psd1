@{
    RootModule           = 'OsvPS.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0b8d8e-5c1a-4c55-9a53-6b1f3f0e2a41'
    Author               = 'OsvPS contributors'
    CompanyName          = 'OsvPS'
    Copyright            = '(c) OsvPS contributors. MIT licence.'
    Description          = 'Packages native Linux programs as OSv unikernel images and runs them under QEMU, as PowerShell cmdlets.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('OsvPS.Format.ps1xml')
    CmdletsToExport      = @(
        'New-OsvProject'
        'Get-OsvProject'
        'Add-OsvBinary'
        'Add-OsvDebianPackage'
        'Add-OsvContainerImage'
        'Get-OsvElfInfo'
        'Test-OsvBinary'
        'Build-OsvImage'
        'Get-OsvImage'
        'Import-OsvImage'
        'Remove-OsvImage'
        'Save-OsvImage'
        'Find-OsvImage'
        'Publish-OsvImage'
        'ConvertTo-OsvKubeVirt'
        'Save-OsvPackage'
        'Get-OsvPackage'
        'Find-OsvPackage'
        'Export-OsvPackage'
        'Start-OsvInstance'
        'Get-OsvInstance'
        'Stop-OsvInstance'
        'Remove-OsvInstance'
        'Wait-OsvInstance'
        'Test-OsvInstance'
        'Update-OsvInstance'
        'Get-OsvInstanceLog'
        'New-OsvNetwork'
        'Get-OsvNetwork'
        'Remove-OsvNetwork'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('OSv', 'unikernel', 'QEMU', 'Capstan', 'libvirt', 'Linux', 'PSEdition_Core')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ProjectUri   = 'https://github.com/osvps/OsvPS'
            ReleaseNotes = 'Guest exit statuses, private port forwards, instances behind one engine seam (QEMU here, libvirt hosts); see README.md.'
        }
    }
}
