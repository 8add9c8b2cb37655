# Shared by tests/Pester/Examples.RealOsv.Tests.ps1 and bench/Servers.ps1: the examples/ servers,
# how to start each one bounded by a timeout, ask it something from the host, and check where it listens.

# One row per script in examples/: its Debian package, the port it serves in the guest, what to send and what the answer must hold.
function Get-ServerExample {
    $examples = Join-Path $PSScriptRoot '../../examples'
    @(
        [pscustomobject]@{ Name = 'redis'; Package = 'redis-server'; Guest = 6379; Request = "PING`r`nSET osvps carried`r`nGET osvps`r`nQUIT`r`n"; Expect = '^\+PONG\r\n\+OK\r\n\$7\r\ncarried\r\n' }
        [pscustomobject]@{ Name = 'memcached'; Package = 'memcached'; Guest = 11211; Request = "set osvps 0 0 7`r`ncarried`r`nget osvps`r`nquit`r`n"; Expect = '^STORED\r\nVALUE osvps 0 7\r\ncarried\r\nEND\r\n' }
        [pscustomobject]@{ Name = 'nginx'; Package = 'nginx-light'; Guest = 80; Request = "GET / HTTP/1.0`r`n`r`n"; Expect = '^HTTP/1\.1 200 OK\r\n' }
        [pscustomobject]@{ Name = 'lighttpd'; Package = 'lighttpd'; Guest = 80; Request = "GET / HTTP/1.0`r`n`r`n"; Expect = '^HTTP/1\.0 200 OK\r\n' }
        [pscustomobject]@{ Name = 'python-http'; Package = 'python3'; Guest = 8000; Request = "GET / HTTP/1.0`r`n`r`n"; Expect = '^HTTP/1\.0 200 OK\r\n' }
    ) | ForEach-Object { $_ | Add-Member -PassThru Script (Join-Path $examples "$($_.Name).ps1") }
}

# Why an example cannot run here ($null when it can): its Debian package is not installed.
function Get-ServerSkipReason($Example) {
    $list = "/var/lib/dpkg/info/$($Example.Package).list", "/var/lib/dpkg/info/$($Example.Package):amd64.list"
    if (-not ($list | Where-Object { Test-Path -LiteralPath $_ })) { return "the Debian package $($Example.Package) is not installed (apt-get install $($Example.Package))" }
    $null
}

# Runs the example script in a thread job with -Timeout (so QEMU is bounded and stops with the job's
# -Wait); the job's output is the console lines and, at the end, the instance.
function Start-ServerExample($Example, [int] $Port, [string] $Name, [string] $Project, [string] $BootMode, [int] $TimeoutSeconds = 180) {
    $module = (Get-Module OsvPS).Path
    Start-ThreadJob -ArgumentList $module, $Example.Script, $Port, $Name, $Project, $BootMode, $TimeoutSeconds -ScriptBlock {
        param($module, $script, $port, $name, $project, $bootMode, $timeout)
        Import-Module $module
        & $script -Port $port -Name $name -Project $project -BootMode $bootMode -Timeout $timeout
    }
}

# Sends $Text to 127.0.0.1:$Port and returns all the server writes until it closes (or $null on no answer).
function Send-TcpText([int] $Port, [string] $Text, [int] $TimeoutMs = 5000) {
    $client = [Net.Sockets.TcpClient]::new()
    try {
        if (-not $client.ConnectAsync('127.0.0.1', $Port).Wait($TimeoutMs)) { return $null }
        $stream = $client.GetStream()
        $stream.ReadTimeout = $TimeoutMs
        $bytes = [Text.Encoding]::ASCII.GetBytes($Text)
        $stream.Write($bytes, 0, $bytes.Length)
        $reader = [IO.StreamReader]::new($stream, [Text.Encoding]::UTF8)
        $answer = $reader.ReadToEnd()
        if ($answer) { $answer } else { $null }
    }
    catch { $null }
    finally { $client.Dispose() }
}

# Asks until the answer matches the example's pattern, the job ends (the server died) or the deadline
# passes. QEMU accepts a forwarded connection before the guest listens and then drops it: that is no answer.
function Wait-ServerAnswer($Example, [int] $Port, $Job, [int] $Seconds = 150) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while ($clock.Elapsed.TotalSeconds -lt $Seconds -and $Job.State -in 'NotStarted', 'Running') {
        $answer = Send-TcpText $Port $Example.Request
        if ($answer -match $Example.Expect) {
            return [pscustomobject]@{ Answer = $answer; Seconds = $clock.Elapsed.TotalSeconds }
        }
        Start-Sleep -Milliseconds 100
    }
    $null
}

# The TCP sockets QEMU process $ProcessId listens on, as ss -ltnp shows them ('127.0.0.1:16379', ...).
function Get-ListeningAddress([int] $ProcessId) {
    @(& ss -ltnpH | Where-Object { $_ -match "pid=$ProcessId," } | ForEach-Object { ($_ -split '\s+')[3] })
}

# Forwards are meant to be private: QEMU must listen for the forward on 127.0.0.1 only, and on nothing
# else. This fails until Start-OsvInstance writes hostfwd=tcp:127.0.0.1:H-:G (QEMU's empty host address
# is every interface): the lead's -Forward change; verify it here after that merge.
function Assert-LoopbackOnly([int] $ProcessId, [int] $Port) {
    $listening = Get-ListeningAddress $ProcessId
    $listening | Should -Contain "127.0.0.1:$Port" -Because "ss -ltnp shows QEMU ($ProcessId) listening on: $($listening -join ', ')"
    $listening | Where-Object { $_ -ne "127.0.0.1:$Port" } | Should -BeNullOrEmpty -Because 'nothing may listen on other addresses'
}

Export-ModuleMember -Function Get-ServerExample, Get-ServerSkipReason, Start-ServerExample, Send-TcpText, Wait-ServerAnswer, Get-ListeningAddress, Assert-LoopbackOnly
