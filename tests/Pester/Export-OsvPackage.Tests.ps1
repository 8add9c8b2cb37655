BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    New-TestRepository (Join-Path $TestDrive 'capstan') | Out-Null
}

AfterAll { $env:CAPSTAN_ROOT = $savedRoot }

Describe 'Export-OsvPackage' {
    It 'builds a package another project can require, with its config sets' {
        $lib = Join-Path $TestDrive 'webserver'
        New-OsvProject $lib -BootCommand '/server.so --port 80' -ConfigSet serve -Version 2.0 | Out-Null
        Set-Content (Join-Path $lib 'server.so') 'server bytes'
        Set-Content (Join-Path $lib '.capstanignore') '/notes.txt'
        Set-Content (Join-Path $lib 'notes.txt') 'not for the package'
        $package = Export-OsvPackage $lib
        $package.Name | Should -Be 'webserver'
        $package.Version | Should -Be '2.0'
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'packages/webserver.yaml') | Should -BeTrue
        (& tar -tzf $package.Path) -replace '^\./', '' | Should -Contain 'meta/run.yaml'
        (& tar -tzf $package.Path) | Should -Not -Contain 'notes.txt'

        $app = Join-Path $TestDrive 'app'
        New-OsvProject $app -Require webserver | Out-Null
        Set-Content (Join-Path $app 'meta/run.yaml') "runtime: native`nconfig_set:`n  web:`n    base: webserver:serve`n    env: { LOG: debug }`nconfig_set_default: web`n"
        $image = Build-OsvImage $app -Format Raw
        $text = [Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes($image.Path))
        $text.Contains('server bytes') | Should -BeTrue
        $text.Contains('--env=LOG?=debug /server.so --port 80') | Should -BeTrue
    }

    It 'exports a package whose name has a space, as Capstan''s test packages have' {
        $p = Join-Path $TestDrive 'tester'
        New-OsvProject $p -Name 'Capstan tester' -BootCommand '/app.so' | Out-Null
        Set-Content (Join-Path $p 'app.so') 'stand-in program'
        $package = Export-OsvPackage $p
        $package.Name | Should -Be 'Capstan tester'
        $package.Path | Should -Be (Join-Path $env:CAPSTAN_ROOT 'packages/Capstan tester.mpm')
        Get-Content (Join-Path $env:CAPSTAN_ROOT 'packages/Capstan tester.yaml') | Should -Contain 'name: "Capstan tester"'
        (& tar -tzf $package.Path) -replace '^\./', '' | Should -Contain 'app.so'
    }

    It 'reads the project as Build-OsvImage does: a link that leaves it is refused unless -KeepExternalSymlinks, one inside is the guest''s path' {
        $p = Join-Path $TestDrive 'linky'
        New-OsvProject $p -BootCommand /x | Out-Null
        Set-Content (Join-Path $p 'x') 'stand-in program'
        New-Item -ItemType SymbolicLink -Path (Join-Path $p 'x-link') -Target (Join-Path $p 'x') | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $p 'passwd') -Target '/etc/passwd' | Out-Null
        Export-OsvPackage $p -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'SymlinkOutsideProject,*'
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'packages/linky.mpm') | Should -BeFalse
        $package = Export-OsvPackage $p -KeepExternalSymlinks
        $listing = (& tar -tvzf $package.Path) -join "`n"
        $listing | Should -Match 'passwd -> /etc/passwd'
        $listing | Should -Match 'x-link -> /x(\n|$)'
        (Get-Command Export-OsvPackage).Parameters['KeepExternalSymlinks'].SwitchParameter | Should -BeTrue
    }

    It 'refuses a file name that is not UTF-8, as Build-OsvImage does' {
        $p = Join-Path $TestDrive 'badname'
        New-OsvProject $p -BootCommand /x | Out-Null
        & sh -c "printf x > '$p/bad'`$(printf '\377')"
        try {
            Export-OsvPackage $p -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'FileNameInvalid,*'
            $err[0].Exception.Message | Should -Match 'not UTF-8'
        }
        finally {
            # .NET cannot name the file to delete it (nor can Pester's TestDrive clean-up).
            & sh -c "rm -f '$p'/bad*"
        }
    }

    It 'writes nothing with -WhatIf and refuses a folder that is not a project' {
        $p = Join-Path $TestDrive 'whatif'
        New-OsvProject $p -BootCommand /x | Out-Null
        Export-OsvPackage $p -WhatIf
        Test-Path (Join-Path $env:CAPSTAN_ROOT 'packages/whatif.mpm') | Should -BeFalse
        Export-OsvPackage $TestDrive -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ProjectNotFound,*'
    }
}
