# The README's main job (build.ps1 demo), end to end on the real OSv kernel: a release source on
# 127.0.0.1 serves the real OSv build under OSv's release asset names, the repository starts empty.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $osv = Find-RealOsv
}

Describe 'build.ps1 demo' {
    It 'downloads OSv from a release, then runs the program on the real kernel and reports a failure as one' {
        if (-not $osv.Loader) { Set-ItResult -Skipped -Because $osv.Reason; return }
        $server = Start-TestReleaseServer (Join-Path $TestDrive 'web')
        try {
            $yaml = Join-Path $TestDrive 'osv.bootstrap.yaml'
            Set-Content -LiteralPath $yaml -Value "name: osv.bootstrap`ntitle: OSv bootstrap`nauthor: osv`nversion: v0.57.0`n"
            Publish-TestRelease (Join-Path $TestDrive 'web') 'v0.57.0' @{
                'osv-loader.qemu.x86_64'   = $osv.Loader
                'osv-loader.elf.x86_64.gz' = $osv.Kernel
                'osv.bootstrap.mpm.x86_64' = $osv.Bootstrap
                'osv.bootstrap.yaml'       = $yaml
            } $server.Url -Latest
            $root = Join-Path $TestDrive 'capstan'
            $build = Join-Path $PSScriptRoot '../../build.ps1'
            $script = "`$env:CAPSTAN_ROOT = '$root'; `$env:OSVPS_RELEASE_SOURCE = '$($server.Url)'; & '$build' demo *>&1 | ForEach-Object { `"`$_`" }; exit `$LASTEXITCODE"
            $output = Invoke-FreshPwsh $script
            $text = $output -join "`n"
            $LASTEXITCODE | Should -Be 0 -Because $text
        }
        finally { $server.Stop.Invoke() }
        $output | Should -Contain 'PS> Save-OsvImage osv-loader; Save-OsvPackage osv.bootstrap'
        $text | Should -Not -Match 'stand-in'
        $text | Should -Match 'OSv v0\.57'
        $output | Should -Contain 'Hello from OSv! GREETING=hey there; from run.yaml, arguments: Hey hey'
        $text | Should -Match 'Failed to load object: /not-there\.so\. Powering off\.'
        $text | Should -Match "the program in instance 'missing' failed"
        # The demo downloads into a repository of its own, never the user's.
        Test-Path (Join-Path $PSScriptRoot '../../out/demo/capstan/repository/osv-loader/osv-loader.elf') | Should -BeTrue
        Test-Path (Join-Path $root 'repository') | Should -BeFalse
        Test-Path (Join-Path $root 'instances') | Should -BeFalse
    }
}
