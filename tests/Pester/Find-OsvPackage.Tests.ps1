BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $env:CAPSTAN_ROOT = Join-Path $TestDrive 'capstan'
    $server = New-TestReleaseSite $TestDrive
}

AfterAll {
    $server.Stop.Invoke()
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Find-OsvPackage' {
    It 'finds packages by wildcard in the latest release' {
        (Find-OsvPackage 'osv.*' -Source $server.Url).Name | Should -Be 'osv.bootstrap'
        Find-OsvPackage 'java*' -Source $server.Url | Should -BeNullOrEmpty
    }

    It 'searches every release with -Version *' {
        (Find-OsvPackage -Version '*' -Source $server.Url).Release | Should -Be 'v0.57.0'
    }

    It 'feeds Save-OsvPackage through the pipeline' {
        (Find-OsvPackage osv.bootstrap -Source $server.Url | Save-OsvPackage -Source $server.Url).Path |
            Should -Be (Join-Path $env:CAPSTAN_ROOT 'packages/osv.bootstrap.mpm')
    }

    It 'reports ReleaseSourceInvalid for an answer that is not GitHub''s JSON' {
        $bad = Join-Path $TestDrive 'bad'
        New-Item -ItemType Directory -Force $bad | Out-Null
        Set-Content (Join-Path $bad 'latest.json') 'tag_name: yaml, not json'
        $badServer = Start-TestReleaseServer $bad
        try {
            Find-OsvPackage -Source $badServer.Url -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ReleaseSourceInvalid,*'
        }
        finally { $badServer.Stop.Invoke() }
    }
}
