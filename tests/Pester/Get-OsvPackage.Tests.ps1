BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    New-TestRepository (Join-Path $TestDrive 'capstan') | Out-Null
    $server = New-TestReleaseSite $TestDrive
}

AfterAll {
    $server.Stop.Invoke()
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Get-OsvPackage' {
    It 'completes package names from the repository, and a half-written pattern to nothing' {
        $line = 'Get-OsvPackage osv.b'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('osv.bootstrap')
        $line = 'Get-OsvPackage o*st'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.ToolTip | Should -Be @('OSv bootstrap (test)')
        $line = 'Get-OsvPackage osv['
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | Should -BeNullOrEmpty
    }

    It 'lists local packages with their package.yaml' {
        $package = Get-OsvPackage
        $package.Name | Should -Be 'osv.bootstrap'
        $package.Title | Should -Be 'OSv bootstrap (test)'
        $package.Path | Should -Be (Join-Path $env:CAPSTAN_ROOT 'packages/osv.bootstrap.mpm')
        $package.Size | Should -BeGreaterThan 0
    }

    It 'lists the rest and warns, naming the file, when a package description is broken' {
        $packages = Join-Path $env:CAPSTAN_ROOT 'packages'
        Set-Content (Join-Path $packages 'broken.yaml') 'name: [unclosed'
        Set-Content (Join-Path $packages 'stray.yaml') "just: a file`n"
        try {
            $listed = Get-OsvPackage -WarningVariable warned -WarningAction SilentlyContinue
            $listed.Name | Should -Be @('osv.bootstrap')
            $warned.Count | Should -Be 2
            "$warned" | Should -Match 'broken\.yaml'
            "$warned" | Should -Match 'stray\.yaml'
        }
        finally { Remove-Item (Join-Path $packages 'broken.yaml'), (Join-Path $packages 'stray.yaml') }
    }

    It 'shows no creation time when the description has none' {
        (Get-OsvPackage osv.bootstrap).Created | Should -BeNullOrEmpty
        (Get-OsvPackage osv.bootstrap | Format-Table | Out-String) | Should -Match 'osv\.bootstrap'
    }

    It 'lists a package exported by OsvPS, and filters by name' {
        $p = Join-Path $TestDrive 'mylib'
        New-OsvProject $p -BootCommand /lib.so -Require osv.bootstrap | Out-Null
        Export-OsvPackage $p | Out-Null
        (Get-OsvPackage).Name | Should -Be @('mylib', 'osv.bootstrap')
        (Get-OsvPackage my*).Require | Should -Be @('osv.bootstrap')
    }

    It 'lists the packages a release offers with -Remote' {
        $remote = Get-OsvPackage -Remote -Source $server.Url
        $remote.Name | Should -Be 'osv.bootstrap'
        $remote.Release | Should -Be 'v0.57.0'
        $remote.Url | Should -BeLike '*/assets/osv.bootstrap.mpm.x86_64'
        $remote.Path | Should -BeNullOrEmpty
    }
}
