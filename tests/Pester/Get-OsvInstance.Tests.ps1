BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-OsvTestModulePath) -Force
    $savedRoot = $env:CAPSTAN_ROOT
    $demo = New-InstanceTestSetup $TestDrive
    Build-OsvImage $demo | Out-Null
    Build-OsvImage $demo -Name demo-hang -LoaderImage hang-loader | Out-Null
    Start-OsvInstance demo -Name done -Wait -Timeout ([TimeSpan]::FromSeconds(30)) | Out-Null
    $running = Start-OsvInstance demo-hang -Name live -Forward "$(Get-FreePort):8000"
}

AfterAll {
    Stop-TestInstances
    $env:CAPSTAN_ROOT = $savedRoot
}

Describe 'Get-OsvInstance' {
    It 'lists every instance with its state' {
        $all = Get-OsvInstance
        $all.Name | Should -Be @('done', 'live')
        ($all | Where-Object Name -eq 'done').State | Should -Be 'Stopped'
        ($all | Where-Object Name -eq 'live').State | Should -Be 'Running'
    }

    It 'gives a running instance its pid, image, uptime, forwards and console path' {
        $live = Get-OsvInstance live
        $live.Pid | Should -Be $running.Pid
        $live.Image | Should -Be 'demo-hang'
        $live.Uptime | Should -BeGreaterThan ([TimeSpan]::Zero)
        $live.Forwards.Count | Should -Be 1
        $live.ConsolePath | Should -BeLike '*instances/qemu/live/console.log'
        $live.Started | Should -BeLessOrEqual ([DateTime]::UtcNow)
        (Get-Item (Split-Path $live.ConsolePath)).UnixMode | Should -Be 'drwx------'
    }

    It 'exports as a runbook reads it, with no calculated property: states and formats as words, lists as their items' {
        $json = Get-OsvInstance live | ConvertTo-Json -Depth 2 | ConvertFrom-Json
        $json.State | Should -Be 'Running'
        @($json.Forwards).Count | Should -Be 1
        @($json.Forwards)[0] | Should -BeLike 'tcp:127.0.0.1:*:8000'
        @($json.QemuCommand)[0] | Should -BeLike '*qemu-system-x86_64'
        $csv = Get-OsvInstance live | ConvertTo-Csv | ConvertFrom-Csv
        $csv.State | Should -Be 'Running'
        $csv.Forwards | Should -BeLike 'tcp:127.0.0.1:*:8000'
        $csv.QemuCommand | Should -Match '^\S*qemu-system-x86_64 .*-m '
        $csv.QemuCommand | Should -Not -Match 'System\.String'
        (Get-OsvImage demo | ConvertTo-Json | ConvertFrom-Json).Format | Should -Be 'Qcow2'
        # Still the typed value for a script that compares it.
        $live = Get-OsvInstance live
        $live.State -eq 'Running' | Should -BeTrue
        $live.State.GetType().IsEnum | Should -BeTrue
        $live.Forwards[0] | Should -BeLike 'tcp:*'
    }

    It 'exports every kind of object it writes with no type name in a CSV cell' {
        $objects = @(Get-OsvInstance) + @(Get-OsvImage) + @(Get-OsvProject $demo) + @(Get-OsvElfInfo /bin/true) + @(Get-OsvPackage -ErrorAction SilentlyContinue)
        ($objects | ForEach-Object { $_.GetType().Name } | Sort-Object -Unique) | Should -Contain 'OsvElfInfo'
        foreach ($object in $objects) {
            $row = $object | ConvertTo-Csv | ConvertFrom-Csv
            foreach ($cell in $row.PSObject.Properties) {
                "$($cell.Value)" | Should -Not -Match '^(System|OsvPS)\.[\w.]+(\[\])?$' -Because "$($object.GetType().Name).$($cell.Name)"
            }
        }
    }

    It 'filters with wildcards and reports a missing name' {
        (Get-OsvInstance 'l*').Name | Should -Be 'live'
        Get-OsvInstance nope -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InstanceNotFound,*'
    }

    It 'refuses a -Connection transport OsvPS does not open before libvirt sees it: <Uri>' -ForEach @(
        @{ Uri = 'qemu+ext:///system?command={0}' }
        @{ Uri = 'qemu+ssh://localhost/system?command={0}' }
        @{ Uri = 'qemu+tcp://127.0.0.1/system' }
    ) {
        $evil = Join-Path $TestDrive 'evil.sh'
        $ran = Join-Path $TestDrive 'evil-ran'
        Set-Content $evil "#!/bin/sh`ntouch '$ran'"
        & chmod +x $evil
        Get-OsvInstance -Connection ($Uri -f $evil) -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ConnectionNotSupported,*'
        Test-Path $ran | Should -BeFalse -Because 'the program named in the URI never runs'
    }

    It 'shows a table' {
        (Get-OsvInstance live | Out-String) | Should -Match 'live\s+Running\s+\d+\s+demo-hang'
        (Get-OsvInstance done | Out-String) | Should -Match 'done\s+Stopped\s+0\s+\d+\s+demo'
    }

    It 'lists a damaged record as its own InstanceStateInvalid error and the others as usual' {
        $folder = Join-Path $env:CAPSTAN_ROOT 'instances/qemu/damaged'
        New-Item -ItemType Directory -Force $folder | Out-Null
        Set-Content -LiteralPath (Join-Path $folder 'instance.state') -Value "image=demo`nqemu_command=@@@ not base64 @@@"
        try {
            $all = Get-OsvInstance -ErrorVariable err -ErrorAction SilentlyContinue
            $all.Name | Should -Be @('done', 'live')
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InstanceStateInvalid,*'
            $err[0].TargetObject | Should -Be 'damaged'
        }
        finally { Remove-Item -Recurse -Force $folder }
    }

    It 'completes instance names on every instance cmdlet; Stop and Wait offer the running ones' -ForEach @(
        @{ Command = 'Get-OsvInstance '; All = @('done', 'live') }, @{ Command = 'Stop-OsvInstance -Name '; All = @('live') },
        @{ Command = 'Remove-OsvInstance '; All = @('done', 'live') }, @{ Command = 'Wait-OsvInstance '; All = @('live') },
        @{ Command = 'Get-OsvInstanceLog '; All = @('done', 'live') }
    ) {
        $line = $Command + 'l'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $completions | Should -Be @('live')
        $line = $Command
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be $All
    }

    It 'filters by state, as runbooks type it: -State Running' {
        (Get-OsvInstance -State Running).Name | Should -Be 'live'
        (Get-OsvInstance -State Stopped, Failed).Name | Should -Be 'done'
        (Get-OsvInstance 'd*' -State Running) | Should -BeNullOrEmpty
        { Get-OsvInstance -State Sleeping -ErrorAction Stop } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,*'
    }
}
