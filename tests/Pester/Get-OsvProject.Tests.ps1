BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force

    function New-RawProject([string] $Name, [string] $RunYaml, [string] $PackageYaml) {
        $dir = Join-Path $TestDrive $Name
        New-Item -ItemType Directory -Force (Join-Path $dir 'meta') | Out-Null
        if ($RunYaml) { Set-Content -LiteralPath (Join-Path $dir 'meta/run.yaml') -Value $RunYaml -NoNewline }
        if ($PackageYaml) { Set-Content -LiteralPath (Join-Path $dir 'meta/package.yaml') -Value $PackageYaml -NoNewline }
        $dir
    }

    function Get-ErrorId([string] $Path) {
        Get-OsvProject -LiteralPath $Path -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $err[0].FullyQualifiedErrorId -replace ',.*$', ''
    }
}

Describe 'Get-OsvProject' {
    It 'binds LiteralPath from Get-ChildItem output' {
        $attr = (Get-Command Get-OsvProject).Parameters['LiteralPath'].Attributes | Where-Object { $_ -is [Parameter] }
        $attr.ValueFromPipelineByPropertyName | Should -BeTrue
        (Get-Command Get-OsvProject).Parameters['LiteralPath'].Aliases | Should -Contain 'PSPath'
        (Get-Command Get-OsvProject).Parameters['Path'].Attributes.TypeId.Name | Should -Contain 'SupportsWildcardsAttribute'
    }

    It 'reads a Capstan project with config sets, env, base and several defaults' {
        $dir = New-RawProject 'capstan' -PackageYaml "name: capstan-app`ntitle: Capstan app`nauthor: someone`nrequire:`n  - osv.httpserver-api`n" -RunYaml @'
runtime: native
config_set:
  default:
    bootcmd: "/ls -l"
    env: { PORT: "8000" }
  say_hey:
    bootcmd: /echo.so Hey hey!
  api:
    base: "osv.httpserver-api:default"
config_set_default: default, say_hey
'@
        $p = Get-OsvProject $dir
        $p.Name | Should -Be 'capstan-app'
        $p.Require | Should -Be @('osv.httpserver-api')
        $p.ConfigSets.Name | Should -Be @('default', 'say_hey', 'api')
        $p.ConfigSets[0].Env['PORT'] | Should -Be '8000'
        $p.ConfigSets[2].Base | Should -Be 'osv.httpserver-api:default'
        $p.DefaultConfigSet | Should -Be @('default', 'say_hey')
    }

    It 'resolves wildcards and takes the pipeline from Get-ChildItem' {
        New-OsvProject (Join-Path $TestDrive 'wild/one') -BootCommand /1 | Out-Null
        New-OsvProject (Join-Path $TestDrive 'wild/two') -BootCommand /2 | Out-Null
        (Get-OsvProject (Join-Path $TestDrive 'wild/*')).Name | Sort-Object | Should -Be @('one', 'two')
        (Get-ChildItem -Directory (Join-Path $TestDrive 'wild') | Get-OsvProject).Name | Sort-Object | Should -Be @('one', 'two')
    }

    It 'defaults to the current folder' {
        $dir = Join-Path $TestDrive 'here'
        New-OsvProject $dir -BootCommand /here | Out-Null
        Push-Location $dir
        try { (Get-OsvProject).Name | Should -Be 'here' } finally { Pop-Location }
    }

    It 'reads Capstan''s own test package.yaml: a name with a space, a git-describe version and a binary map' {
        $dir = New-RawProject 'capstan-tester' -RunYaml "runtime: native`nconfig_set:`n  default:`n    bootcmd: /usr/bin/app.so`n" -PackageYaml @'
name: Capstan tester
title: MPM Test package
author: MIKE
version: 0.23-24-gc60331d
require:
 - httpserver
 - openmpi
binary:
 app: /usr/bin/app.so
 /usr/bin/app: /usr/local/bin/app.so
'@
        $project = Get-OsvProject -LiteralPath $dir
        $project.Name | Should -Be 'Capstan tester'
        $project.Version | Should -Be '0.23-24-gc60331d'
        $project.Require | Should -Be @('httpserver', 'openmpi')
    }

    It 'names the file, line and column of malformed YAML' {
        $dir = New-RawProject 'malformed' -RunYaml "runtime: native`nconfig_set:`n  default:`n    bootcmd: [oops`n"
        Get-OsvProject -LiteralPath $dir -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'RunYamlInvalid,*'
        $err[0].CategoryInfo.Category | Should -Be 'ParserError'
        $err[0].Exception.Message | Should -Match 'meta[/\\]run\.yaml:\d+:\d+: '
    }

    It 'reports <Id> for <Case>' -ForEach @(
        @{ Case = 'an unknown runtime'; Id = 'RuntimeNotSupported'; Run = "runtime: erlang`nconfig_set:`n  a: {bootcmd: /a}`n" }
        @{ Case = 'no config set'; Id = 'ConfigSetMissing'; Run = "runtime: native`nconfig_set: {}`n" }
        @{ Case = 'a set without bootcmd or base'; Id = 'BootCommandMissing'; Run = "runtime: native`nconfig_set:`n  a: {env: {A: b}}`n" }
        @{ Case = 'a base without colon'; Id = 'ConfigSetBaseInvalid'; Run = "runtime: native`nconfig_set:`n  a: {base: pkg}`n" }
        @{ Case = 'a non-ASCII env value'; Id = 'EnvInvalid'; Run = "runtime: native`nconfig_set:`n  a: {bootcmd: /a, env: {A: 'gr$([char]0xFC)$([char]0xDF)e'}}`n" }
        @{ Case = 'a non-ASCII boot command'; Id = 'BootCommandInvalid'; Run = "runtime: native`nconfig_set:`n  a: {bootcmd: '/echo gr$([char]0xFC)$([char]0xDF)e'}`n" }
        @{ Case = 'a package.yaml without author'; Id = 'PackageYamlInvalid'; Run = "runtime: native`nbootcmd: /a`n"; Package = "name: a`ntitle: A`n" }
        @{ Case = 'a package name that is a path'; Id = 'PackageYamlInvalid'; Run = "runtime: native`nbootcmd: /a`n"; Package = "name: ../up`ntitle: A`nauthor: B`n" }
        @{ Case = 'a required name with a tab'; Id = 'PackageYamlInvalid'; Run = "runtime: native`nbootcmd: /a`n"; Package = "name: a`ntitle: A`nauthor: B`nrequire: [`"x`ty`"]`n" }
    ) {
        $dir = New-RawProject ($Case -replace '\W', '_') -RunYaml $Run -PackageYaml $Package
        Get-ErrorId $dir | Should -Be $Id
    }

    It 'reports ProjectNotFound for a folder that is not a project, with the folder as target' {
        $dir = Join-Path $TestDrive 'plain'
        New-Item -ItemType Directory $dir | Out-Null
        Get-OsvProject -LiteralPath $dir -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ProjectNotFound,*'
        $err[0].TargetObject | Should -Be $dir
    }

    It 'goes on after a bad project' {
        $bad = New-RawProject 'bad-first' -RunYaml "runtime: native`nconfig_set: {}`n"
        $good = Join-Path $TestDrive 'good-second'
        New-OsvProject $good -BootCommand /ok | Out-Null
        $out = Get-OsvProject -LiteralPath $bad, $good -ErrorAction SilentlyContinue -ErrorVariable err
        $err.Count | Should -Be 1
        $out.Name | Should -Be 'good-second'
    }
}
