BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    New-TestRepository (Join-Path $TestDrive 'capstan') | Out-Null
    $demo = Join-Path $TestDrive 'demo'
    New-OsvProject $demo -BootCommand '/hello' | Out-Null
    Set-Content -LiteralPath (Join-Path $demo 'hello') -Value 'not really a program'
    # Build-OsvImage checks that each config set's program is in the image; stand-ins are enough for that.
    Set-Content -LiteralPath (Join-Path $demo 'echo.so') -Value 'not really a program either'
    Add-Content -LiteralPath (Join-Path $demo 'meta/run.yaml') -Value "  say_hey:`n    bootcmd: /echo.so Hey hey!"
    # run.yaml ends with config_set_default; re-write it whole to keep it valid YAML.
    Set-Content -LiteralPath (Join-Path $demo 'meta/run.yaml') -Value @'
runtime: native
config_set:
  default:
    bootcmd: /hello
  say_hey:
    bootcmd: /echo.so Hey hey!
config_set_default: default
'@
}

AfterAll { $env:CAPSTAN_ROOT = $savedRoot }

Describe 'Build-OsvImage' {
    Context 'metadata' {
        BeforeAll { $command = Get-Command Build-OsvImage }

        It 'takes the project from the pipeline by value and by property name' {
            $attr = $command.Parameters['Project'].Attributes | Where-Object { $_ -is [Parameter] }
            $attr.ValueFromPipeline | Should -BeTrue
            $attr.ValueFromPipelineByPropertyName | Should -BeTrue
            $command.Parameters['Project'].Aliases | Should -Contain 'Path'
        }

        It 'supports ShouldProcess and declares OsvImage output' {
            $command.Parameters.Keys | Should -Contain 'WhatIf'
            $command.Parameters['SkipProgramCheck'].SwitchParameter | Should -BeTrue
            $command.OutputType.Type.FullName | Should -Be 'OsvPS.Core.Models.OsvImage'
        }

        It 'completes image names for -LoaderImage' {
            $result = TabExpansion2 -inputScript 'Build-OsvImage -LoaderImage osv-l' -cursorColumn 33
            $result.CompletionMatches.CompletionText | Should -Contain 'osv-loader'
        }
    }

    Context 'behaviour' {
        It 'builds a qcow2 image that qemu-img accepts, and Get-OsvImage lists it' {
            $image = Build-OsvImage $demo
            $image.Name | Should -Be 'demo'
            $image.Format | Should -Be 'Qcow2'
            $image.Path | Should -Be (Join-Path $env:CAPSTAN_ROOT 'repository/demo/demo.qemu')
            & qemu-img check $image.Path | Out-Null
            $LASTEXITCODE | Should -Be 0
            (Get-OsvImage demo).Path | Should -Be $image.Path
            (Build-OsvImage $demo | Get-OsvImage).Name | Should -Be 'demo'
            $image.CommandLine | Should -Be 'runscript /run/default;'
            $image.ConfigSets | Should -Be @('default', 'say_hey')
        }

        It 'completes -Boot with the project''s config sets' {
            $line = "Build-OsvImage -Project '$demo' -Boot "
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('default', 'say_hey')
            # A relative path, from PowerShell's location (not the process's folder), as typed: ./demo -Boot <Tab>.
            Push-Location (Split-Path $demo)
            try {
                $line = "Build-OsvImage ./$(Split-Path $demo -Leaf) -Boot s"
                (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('say_hey')
            }
            finally { Pop-Location }
        }

        It 'takes an OsvProject from Get-OsvProject' {
            $image = Get-OsvProject $demo | Build-OsvImage -Name demo-piped -Format Raw
            $image.Format | Should -Be 'Raw'
            $bytes = [IO.File]::ReadAllBytes($image.Path)
            [Text.Encoding]::ASCII.GetString($bytes, 512, 23) | Should -Be 'runscript /run/default;'
        }

        It 'writes -Boot and -Env into the command line' {
            $image = Build-OsvImage $demo -Name demo-boot -Boot say_hey -Env @{ B = 2; A = 1 } -Format Raw
            $bytes = [IO.File]::ReadAllBytes($image.Path)
            $text = [Text.Encoding]::ASCII.GetString($bytes, 512, 512).TrimEnd([char]0)
            $text | Should -Be '--env=A=1 --env=B=2 runscript /run/say_hey;'
        }

        It 'does not rewrite an unchanged image and says so' {
            $first = Build-OsvImage $demo -Name demo-inc
            $stamp = (Get-Item $first.Path).LastWriteTimeUtc
            Start-Sleep -Milliseconds 50
            $verbose = Build-OsvImage $demo -Name demo-inc -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] }
            ($verbose.Message -join "`n") | Should -Match 'is up to date'
            (Get-Item $first.Path).LastWriteTimeUtc | Should -Be $stamp
            Build-OsvImage $demo -Name demo-inc -Force | Out-Null
            (Get-Item $first.Path).LastWriteTimeUtc | Should -BeGreaterThan $stamp
        }

        It 'writes nothing with -WhatIf' {
            Build-OsvImage $demo -Name demo-whatif -WhatIf | Should -BeNullOrEmpty
            Test-Path (Join-Path $env:CAPSTAN_ROOT 'repository/demo-whatif') | Should -BeFalse
        }

        It 'lists the files it lays down with -Verbose' {
            $verbose = Build-OsvImage $demo -Name demo-verbose -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] }
            ($verbose.Message -join "`n") | Should -Match '/hello <- '
            ($verbose.Message -join "`n") | Should -Match '/run/say_hey <- config set'
        }
    }

    Context 'config sets, programs and Capstan''s projects' {
        It 'builds the seed''s run.yaml, which has no default set: every set in /run, an empty command line' {
            $seed = Join-Path $TestDrive 'seed'
            New-Item -ItemType Directory -Force (Join-Path $seed 'meta') | Out-Null
            Set-Content -LiteralPath (Join-Path $seed 'meta/run.yaml') -Value "runtime: native`nconfig_set:`n  say_hey:`n    bootcmd: /echo.so Hey hey!`n"
            Set-Content -LiteralPath (Join-Path $seed 'echo.so') -Value 'stand-in program'
            $verbose = Build-OsvImage $seed -Format Raw -Verbose 4>&1
            $image = $verbose | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] }
            $image.Name | Should -Be 'seed'
            $image.CommandLine | Should -Be ''
            $image.ConfigSets | Should -Be @('say_hey')
            ($verbose.Message -join "`n") | Should -Match 'Command line: empty .*-Boot say_hey'
            [IO.File]::ReadAllBytes($image.Path)[512..1023] | Where-Object { $_ -ne 0 } | Should -BeNullOrEmpty
        }

        It 'refuses -Env when no config set runs: it would go with nothing' {
            $seed = Join-Path $TestDrive 'seed'
            Build-OsvImage $seed -Name seed-env -Env @{ A = 1 } -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ConfigSetRequired,*'
            $err[0].Exception.Message | Should -Match '-Boot \(say_hey\)'
            (Build-OsvImage $seed -Name seed-env -Env @{ A = 1 } -Boot say_hey).CommandLine | Should -Be '--env=A=1 runscript /run/say_hey;'
        }

        It 'refuses a config set whose program the image lacks, naming set and path, and writes nothing' {
            $p = Join-Path $TestDrive 'lacking'
            New-OsvProject $p -BootCommand '/hello' | Out-Null
            Set-Content (Join-Path $p 'hello') 'stand-in program'
            New-Item -ItemType Directory (Join-Path $p 'usr/lib') | Out-Null
            Set-Content (Join-Path $p 'usr/lib/echo.so') 'placed as a library'
            Set-Content (Join-Path $p 'meta/run.yaml') "runtime: native`nconfig_set:`n  default:`n    bootcmd: /hello`n  say_hey:`n    bootcmd: /echo.so Hey hey!`n"
            Build-OsvImage $p -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'BootProgramNotFound,*'
            $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err[0].TargetObject | Should -Be '/echo.so'
            $err[0].Exception.Message | Should -Match "config set 'say_hey' of lacking boots '/echo.so'.*the image has /usr/lib/echo.so"
            Test-Path (Join-Path $env:CAPSTAN_ROOT 'repository/lacking') | Should -BeFalse
            (Build-OsvImage $p -SkipProgramCheck).Name | Should -Be 'lacking'
        }

        It 'carries on with the next project after one whose program is missing' {
            $names = @(Join-Path $TestDrive 'lacking'), $demo | Build-OsvImage -Name piped-after -ErrorAction SilentlyContinue -ErrorVariable err
            $err[0].FullyQualifiedErrorId | Should -BeLike 'BootProgramNotFound,*'
            $names.Name | Should -Be 'piped-after'
        }

        It 'builds a Capstan project whose package name has a space, requiring another one' {
            $helper = Join-Path $TestDrive 'helper'
            New-OsvProject $helper -Name 'Capstan helper' -BootCommand /helper.so | Out-Null
            Set-Content (Join-Path $helper 'helper.so') 'stand-in program'
            (Export-OsvPackage $helper).Name | Should -Be 'Capstan helper'
            $tester = Join-Path $TestDrive 'tester'
            New-Item -ItemType Directory -Force (Join-Path $tester 'meta') | Out-Null
            Set-Content (Join-Path $tester 'meta/package.yaml') "name: Capstan tester`ntitle: MPM Test package`nauthor: MIKE`nversion: 0.23-24-gc60331d`nrequire:`n - Capstan helper`nbinary:`n app: /usr/bin/app.so`n"
            Set-Content (Join-Path $tester 'meta/run.yaml') "runtime: native`nconfig_set:`n  default:`n    base: 'Capstan helper:default'`n"
            $image = Build-OsvImage $tester -Format Raw
            $image.Name | Should -Be 'Capstan-tester'
            $image.CommandLine | Should -Be 'runscript /run/default;'
        }
    }

    Context 'errors' {
        It 'reports <Id> for <Case>' -ForEach @(
            @{ Case = 'a missing loader'; Id = 'LoaderImageNotFound'; Arguments = @{ LoaderImage = 'no-such-loader' } }
            @{ Case = 'an unknown -Boot name'; Id = 'ConfigSetNotFound'; Arguments = @{ Boot = 'nope' } }
            @{ Case = 'a command line over 32255 bytes'; Id = 'CommandLineTooLong'; Arguments = @{ CommandLine = ('x' * 32256) } }
            @{ Case = 'a missing required package'; Id = 'PackageNotFound'; Arguments = @{ Require = 'ghost' } }
            @{ Case = 'an invalid image name'; Id = 'ImageNameInvalid'; Arguments = @{ Name = '../escape' } }
        ) {
            Build-OsvImage $demo -Name ($Arguments.Name ?? 'demo-err') @Arguments -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $err[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
            $err[0].TargetObject | Should -Not -BeNullOrEmpty
            Test-Path (Join-Path $env:CAPSTAN_ROOT 'repository/demo-err') | Should -BeFalse
        }

        It 'names the project when the folder is not one' {
            $plain = Join-Path $TestDrive 'plain'
            New-Item -ItemType Directory $plain | Out-Null
            Build-OsvImage $plain -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ProjectNotFound,*'
        }

        It 'says to use -Name when, inside a project, it is given an image name as Capstan''s build takes one' {
            $p = Join-Path $TestDrive 'capstan-habit'
            New-OsvProject $p -BootCommand /x | Out-Null
            Push-Location $p
            try { Build-OsvImage myimage -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null }
            finally { Pop-Location }
            $err[0].FullyQualifiedErrorId | Should -BeLike 'ProjectNotFound,*'
            $err[0].Exception.Message | Should -BeLike "*write: Build-OsvImage -Name myimage"
        }

        It 'uses the repository''s loader, not a file of the same name in the current folder' {
            $elsewhere = Join-Path $TestDrive 'cwd-with-loader'
            New-Item -ItemType Directory $elsewhere | Out-Null
            Set-Content (Join-Path $elsewhere 'osv-loader') 'not a loader at all'
            Push-Location $elsewhere
            try { $built = Build-OsvImage $demo -Name demo-hijack -Format Raw }
            finally { Pop-Location }
            $loader = [IO.File]::ReadAllBytes((Join-Path $env:CAPSTAN_ROOT 'repository/osv-loader/osv-loader.qemu'))
            $head = [IO.File]::ReadAllBytes($built.Path)[0..511]
            $head[0..0x1B] | Should -Be $loader[0..0x1B]
            # Named as a path, the file is taken (and refused: it is no loader).
            Push-Location $elsewhere
            try { Build-OsvImage $demo -Name demo-hijack2 -LoaderImage ./osv-loader -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null }
            finally { Pop-Location }
            $err[0].FullyQualifiedErrorId | Should -BeLike 'LoaderImageInvalid,*'
        }

        It 'leaves FIFOs out of the image instead of blocking on them, and sweeps a killed build''s temporary' {
            $p = Join-Path $TestDrive 'with-fifo'
            New-OsvProject $p -BootCommand /x | Out-Null
            Set-Content (Join-Path $p 'x') 'stand-in program'
            Set-Content (Join-Path $p 'real.txt') 'real'
            & mkfifo (Join-Path $p 'pipe')
            $folder = Join-Path $env:CAPSTAN_ROOT 'repository/with-fifo'
            New-Item -ItemType Directory -Force $folder | Out-Null
            $stale = Join-Path $folder '.with-fifo.qemu.0123456789ab.tmp'
            Set-Content $stale 'half an image'
            $job = Start-ThreadJob { param($module, $root, $path) $env:CAPSTAN_ROOT = $root; Import-Module $module; Build-OsvImage $path } -ArgumentList (Get-OsvTestModulePath), $env:CAPSTAN_ROOT, $p
            Wait-Job $job -Timeout 60 | Out-Null
            $job.State | Should -Be 'Completed' -Because 'a FIFO in the project must not block the build'
            (Receive-Job $job).Name | Should -Be 'with-fifo'
            Test-Path $stale | Should -BeFalse
            Export-OsvPackage $p | Out-Null
            (& tar -tzf (Join-Path $env:CAPSTAN_ROOT 'packages/with-fifo.mpm')) -join ' ' | Should -Not -Match 'pipe'
        }

        It 'refuses a symlink that leaves the project' {
            $p = Join-Path $TestDrive 'linky'
            New-OsvProject $p -BootCommand /x | Out-Null
            Set-Content (Join-Path $p 'x') 'stand-in program'
            New-Item -ItemType SymbolicLink -Path (Join-Path $p 'passwd') -Target '/etc/passwd' | Out-Null
            Build-OsvImage $p -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'SymlinkOutsideProject,*'
            (Build-OsvImage $p -KeepExternalSymlinks).Name | Should -Be 'linky'
        }
    }
}
