BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
}

Describe 'New-OsvProject' {
    Context 'metadata' {
        BeforeAll { $command = Get-Command New-OsvProject }

        It 'supports ShouldProcess' {
            $command.Parameters.Keys | Should -Contain 'WhatIf'
            $command.Parameters.Keys | Should -Contain 'Confirm'
        }

        It 'takes Path from the pipeline and by property name, with PSPath as alias' {
            $attr = $command.Parameters['Path'].Attributes | Where-Object { $_ -is [Parameter] }
            $attr.ValueFromPipeline | Should -BeTrue
            $attr.ValueFromPipelineByPropertyName | Should -BeTrue
            $command.Parameters['Path'].Aliases | Should -Contain 'PSPath'
        }

        It 'declares OsvProject output' {
            $command.OutputType.Type.FullName | Should -Be 'OsvPS.Core.Models.OsvProject'
        }
    }

    Context 'behaviour' {
        It 'creates the folder, both meta files and returns the project' {
            $dir = Join-Path $TestDrive 'demo'
            $p = New-OsvProject $dir -BootCommand '/echo.so Hey hey!' -ConfigSet say_hey -Env @{ PORT = 8000 } -Author 'A. User' -Version 1.2 -Require osv.bootstrap
            $p.Name | Should -Be 'demo'
            $p.Path | Should -Be $dir
            $p.Author | Should -Be 'A. User'
            $p.Runtime | Should -Be 'native'
            $p.ConfigSets[0].Name | Should -Be 'say_hey'
            $p.ConfigSets[0].Env['PORT'] | Should -Be '8000'
            Test-Path (Join-Path $dir 'meta/package.yaml') | Should -BeTrue
            Get-Content -Raw (Join-Path $dir 'meta/run.yaml') | Should -Match 'bootcmd: "/echo.so Hey hey!"'
            Get-ChildItem -Force (Join-Path $dir 'meta') | ForEach-Object Name | Should -Be @('package.yaml', 'run.yaml')
        }

        It 'round-trips through Get-OsvProject' {
            $dir = Join-Path $TestDrive 'round'
            $new = New-OsvProject $dir -BootCommand '/a; /b &' -Name app -Title 'App' -Require one, two
            $got = Get-OsvProject $dir
            $got.Name | Should -Be 'app'
            $got.Title | Should -Be 'App'
            $got.Require | Should -Be @('one', 'two')
            $got.ConfigSets[0].BootCommand | Should -Be '/a; /b &'
            $got.DefaultConfigSet | Should -Be @('default')
            $new.ConfigSets[0].BootCommand | Should -Be $got.ConfigSets[0].BootCommand
        }

        It 'writes a commented template without -BootCommand' {
            $dir = Join-Path $TestDrive 'template'
            $p = New-OsvProject $dir
            $p.ConfigSets.Count | Should -Be 0
            $text = Get-Content -Raw (Join-Path $dir 'meta/run.yaml')
            $text | Should -Match '(?m)^runtime: native$'
            $text | Should -Match '(?m)^#\s+bootcmd: '
        }

        It 'makes a project Get-OsvProject reads, native with no config set yet, that a build says how to finish' {
            $savedRoot = $env:CAPSTAN_ROOT
            try {
                New-TestRepository (Join-Path $TestDrive 'capstan-template') | Out-Null
                Push-Location $TestDrive
                try {
                    (New-OsvProject t).Runtime | Should -Be 'native'
                    $read = Get-OsvProject t -ErrorVariable err
                    $err | Should -BeNullOrEmpty
                    ($read.Runtime, $read.ConfigSets.Count) | Should -Be @('native', 0)
                    Build-OsvImage t -ErrorVariable built -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
                    $built[0].FullyQualifiedErrorId | Should -BeLike 'ConfigSetMissing,*'
                    $built[0].Exception.Message | Should -BeLike "project 't' defines no config set yet: write a boot command under 'config_set:'*"
                }
                finally { Pop-Location }
            }
            finally { $env:CAPSTAN_ROOT = $savedRoot }
        }

        It 'writes nothing with -WhatIf' {
            $dir = Join-Path $TestDrive 'whatif'
            New-OsvProject $dir -BootCommand /x -WhatIf | Should -BeNullOrEmpty
            Test-Path $dir | Should -BeFalse
        }

        It 'refuses an existing project without -Force and replaces it with -Force' {
            $dir = Join-Path $TestDrive 'exists'
            New-OsvProject $dir -BootCommand /first | Out-Null
            New-OsvProject $dir -BootCommand /second -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'ProjectExists,OsvPS.Commands.NewOsvProjectCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
            $err[0].TargetObject | Should -Be $dir
            (Get-OsvProject $dir).ConfigSets[0].BootCommand | Should -Be '/first'
            New-OsvProject $dir -BootCommand /second -Force | Out-Null
            (Get-OsvProject $dir).ConfigSets[0].BootCommand | Should -Be '/second'
        }

        It 'refuses a project whose meta/ or folder is a link, with FolderIsSymbolicLink in every cmdlet (issue 26)' {
            $p = Join-Path $TestDrive 'linked'
            $outside = Join-Path $TestDrive 'linked-outside'
            New-Item -ItemType Directory $p, $outside | Out-Null
            Set-Content (Join-Path $outside 'run.yaml') "runtime: native`nconfig_set:`n  default:`n    bootcmd: /theirs`n"
            New-Item -ItemType SymbolicLink -Path (Join-Path $p 'meta') -Target $outside | Out-Null
            $rootLink = Join-Path $TestDrive 'linked-root'
            New-Item -ItemType SymbolicLink -Path $rootLink -Target (Join-Path $TestDrive 'demo') | Out-Null
            foreach ($path in $p, $rootLink) {
                New-OsvProject $path -BootCommand /mine -Force -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
                $err[0].FullyQualifiedErrorId | Should -Be 'FolderIsSymbolicLink,OsvPS.Commands.NewOsvProjectCommand'
                $err[0].CategoryInfo.Category | Should -Be 'SecurityError'
                Get-OsvProject -LiteralPath $path -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
                $err[0].FullyQualifiedErrorId | Should -Be 'FolderIsSymbolicLink,OsvPS.Commands.GetOsvProjectCommand'
                $caught = $null
                try { Build-OsvImage $path -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null } catch { $caught = $_ }
                @(if ($caught) { $caught } else { $err })[0].FullyQualifiedErrorId | Should -Be 'FolderIsSymbolicLink,OsvPS.Commands.BuildOsvImageCommand'
            }
            Get-Content -Raw (Join-Path $outside 'run.yaml') | Should -Match '/theirs'
            @(Get-ChildItem -Force $outside).Name | Should -Be 'run.yaml'
        }

        It 'keeps env with spaces and separators as data' {
            $dir = Join-Path $TestDrive 'spaced'
            New-OsvProject $dir -BootCommand /x -Env @{ A = 'two words; "quoted"' } | Out-Null
            (Get-OsvProject $dir).ConfigSets[0].Env['A'] | Should -Be 'two words; "quoted"'
        }

        It 'refuses env OSv cannot carry and writes nothing' {
            $dir = Join-Path $TestDrive 'badenv'
            New-OsvProject $dir -BootCommand /x -Env @{ A = "gr$([char]0xFC)$([char]0xDF)e" } -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'EnvInvalid,*'
            $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            Test-Path $dir | Should -BeFalse
        }

        It 'refuses a config set name that cannot be a file name' {
            New-OsvProject (Join-Path $TestDrive 'badset') -BootCommand /x -ConfigSet 'a b' -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ConfigSetNameInvalid,*'
        }

        It 'takes any one file name as the package name, as Capstan does, and refuses a path' {
            $project = New-OsvProject (Join-Path $TestDrive 'capstan-named') -Name 'Capstan tester' -BootCommand /x
            $project.Name | Should -Be 'Capstan tester'
            Get-Content (Join-Path $TestDrive 'capstan-named/meta/package.yaml') | Should -Contain 'name: "Capstan tester"'
            (Get-OsvProject (Join-Path $TestDrive 'capstan-named')).Name | Should -Be 'Capstan tester'
            New-OsvProject (Join-Path $TestDrive 'pathy') -Name 'a/b' -BootCommand /x -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ProjectNameInvalid,*'
            Test-Path (Join-Path $TestDrive 'pathy') | Should -BeFalse
        }

        It 'goes on with the next pipeline item after a failure' {
            $good = Join-Path $TestDrive 'next-good'
            $bad = Join-Path $TestDrive 'next-bad'
            New-OsvProject $bad -BootCommand /x | Out-Null
            $out = $bad, $good | New-OsvProject -BootCommand /y -ErrorVariable err -ErrorAction SilentlyContinue
            $err.Count | Should -Be 1
            $out.Path | Should -Be $good
        }
    }
}
