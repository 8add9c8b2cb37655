# Shared by the OCI registry tests: Debian's docker-registry (the CNCF distribution registry) on
# 127.0.0.1 with TLS from a CA made for the run and htpasswd auth, skopeo beside it, and a fake
# registry on plain HTTP that fails the way real ones do (cut uploads, wrong digests, foreign manifests).

# Why the registry tests cannot run here, or $null when they can.
function Get-RegistryTestSkipReason {
    foreach ($tool in 'docker-registry', 'skopeo', 'openssl', 'htpasswd', 'tar', 'setpriv') {
        if (-not (Get-Command $tool -ErrorAction Ignore)) {
            return "$tool is not installed (apt-get install docker-registry skopeo openssl apache2-utils tar)"
        }
    }
    $null
}

function Get-FreeLoopbackPort {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

# Starts docker-registry on a free loopback port with TLS and htpasswd auth. Returns the registry
# (Address host:port, CaFile, CertDir for skopeo, User, Password, Credential, Creds 'user:pass',
# LogFile, Process); stop it with Stop-TestRegistry.
function Start-TestRegistry([string] $Folder) {
    New-Item -ItemType Directory -Force (Join-Path $Folder 'certs'), (Join-Path $Folder 'data') | Out-Null
    $ca = Join-Path $Folder 'ca.crt'; $caKey = Join-Path $Folder 'ca.key'
    $cert = Join-Path $Folder 'server.crt'; $key = Join-Path $Folder 'server.key'; $csr = Join-Path $Folder 'server.csr'
    $ext = Join-Path $Folder 'ext.cnf'
    & openssl req -x509 -newkey rsa:2048 -nodes -keyout $caKey -out $ca -days 2 -subj '/CN=OsvPS test CA' 2>$null
    & openssl req -newkey rsa:2048 -nodes -keyout $key -out $csr -subj '/CN=127.0.0.1' 2>$null
    Set-Content -LiteralPath $ext -Value 'subjectAltName=IP:127.0.0.1,DNS:localhost'
    & openssl x509 -req -in $csr -CA $ca -CAkey $caKey -CAcreateserial -out $cert -days 2 -extfile $ext 2>$null
    if ($LASTEXITCODE) { throw 'openssl could not make the test certificates' }
    Copy-Item -LiteralPath $ca (Join-Path $Folder 'certs/ca.crt')
    $user = 'osvps-tester'; $password = 'pa:ss w0rd!'
    # bcrypt is the only hash the distribution registry's htpasswd accepts (-B).
    & htpasswd -Bbn $user $password | Set-Content -LiteralPath (Join-Path $Folder 'htpasswd')
    $port = Get-FreeLoopbackPort
    $config = Join-Path $Folder 'config.yml'
    Set-Content -LiteralPath $config -Value @"
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $(Join-Path $Folder 'data')
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  tls:
    certificate: $cert
    key: $key
auth:
  htpasswd:
    realm: osvps-test
    path: $(Join-Path $Folder 'htpasswd')
"@
    # The access log (one line a request: method, path, status) goes to standard output.
    $log = Join-Path $Folder 'access.log'
    # setpriv --pdeathsig: the registry is killed if this process dies without reaching Stop-TestRegistry.
    $process = Start-Process -FilePath (Get-Command setpriv).Source -ArgumentList '--pdeathsig', 'KILL', '--', (Get-Command docker-registry).Source, 'serve', $config -PassThru `
        -RedirectStandardOutput $log -RedirectStandardError (Join-Path $Folder 'registry.err')
    $registry = [pscustomobject]@{
        Address    = "127.0.0.1:$port"
        CaFile     = $ca
        CertDir    = Join-Path $Folder 'certs'
        User       = $user
        Password   = $password
        Credential = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
        Creds      = "${user}:$password"
        LogFile    = $log
        Process    = $process
    }
    foreach ($try in 1..100) {
        $client = [Net.Sockets.TcpClient]::new()
        try { if ($client.ConnectAsync('127.0.0.1', $port).Wait(200) -and $client.Connected) { return $registry } } catch { } finally { $client.Dispose() }
        if ($process.HasExited) { break }
        Start-Sleep -Milliseconds 100
    }
    Stop-TestRegistry $registry
    throw "docker-registry did not listen on 127.0.0.1:${port}: $(Get-Content -Raw -LiteralPath (Join-Path $Folder 'registry.err') -ErrorAction Ignore)"
}

# Stops the registry Start-TestRegistry started (by its process id) and waits until it is gone.
function Stop-TestRegistry($Registry) {
    if (-not $Registry -or -not $Registry.Process) { return }
    if (-not $Registry.Process.HasExited) {
        $Registry.Process.Kill()
        $Registry.Process.WaitForExit(10000) | Out-Null
    }
}

# The registry's access log lines for requests to /v2/<repository>/ since line $From (the registry logs
# every request it served, with method and path): what a client really sent.
function Get-RegistryRequests($Registry, [string] $Repository, [int] $From = 0) {
    @(Get-Content -LiteralPath $Registry.LogFile -ErrorAction Ignore | Select-Object -Skip $From |
        Where-Object { $_ -match "`"(GET|HEAD|PUT|PATCH|POST|DELETE) /v2/$([regex]::Escape($Repository))/" } |
        ForEach-Object { $Matches[1] + ' ' + ($_ -replace '^.*"(?:GET|HEAD|PUT|PATCH|POST|DELETE) (/v2/[^ ?"]*).*$', '$1') })
}

function Get-RegistryLogLength($Registry) { @(Get-Content -LiteralPath $Registry.LogFile -ErrorAction Ignore).Count }

# skopeo with the test registry's CA and credentials.
# skopeo, with HOME in the registry's folder (a user's blob cache stays there; root's is skopeo's system one).
function Invoke-Skopeo($Registry, [string[]] $Arguments) {
    $savedHome = $env:HOME
    $env:HOME = Join-Path (Split-Path $Registry.LogFile) 'skopeo-home'
    try { $output = & skopeo @Arguments 2>&1 } finally { $env:HOME = $savedHome }
    if ($LASTEXITCODE) { throw "skopeo $($Arguments -join ' ') failed: $output" }
    $output
}

# A fake registry on plain HTTP (127.0.0.1, raw TCP, one request a connection, so it can drop one
# mid-body) that serves one fault: 'CutUpload' reads half of every blob body and resets the connection;
# 'WrongPushDigest' answers a finished upload with another Docker-Content-Digest; 'WrongBlob' serves
# $Manifest and $Config, and $Layer bytes that are not the layer's digest; 'ForeignManifest' serves a
# Docker schema 1 manifest. Returns Address, Requests (a queue of "METHOD path" lines) and Stop.
function Start-FaultRegistry([string] $Mode, [byte[]] $Manifest, [byte[]] $Config, [byte[]] $Layer) {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $requests = [Collections.Concurrent.ConcurrentQueue[string]]::new()
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
        param($listener, $mode, $requests, $manifest, $config, $layer)
        $sha = [Security.Cryptography.SHA256]::Create()
        $configDigest = if ($config) { 'sha256:' + (-join ($sha.ComputeHash($config) | ForEach-Object { $_.ToString('x2') })) }
        while ($true) {
            try { $client = $listener.AcceptTcpClient() } catch { break }
            try {
                $stream = $client.GetStream()
                # A TLS hello (OsvPS tries HTTPS first) is refused at once, as a plain HTTP server does.
                $first = $stream.ReadByte()
                if ($first -lt 0 -or $first -eq 0x16) { $client.Close(); continue }
                $head = [Collections.Generic.List[byte]]::new()
                $head.Add([byte]$first)
                while (-not ($head.Count -ge 4 -and $head[$head.Count - 4] -eq 13 -and $head[$head.Count - 3] -eq 10 -and $head[$head.Count - 2] -eq 13 -and $head[$head.Count - 1] -eq 10)) {
                    $b = $stream.ReadByte(); if ($b -lt 0) { break }; $head.Add([byte]$b)
                }
                $lines = [Text.Encoding]::ASCII.GetString($head.ToArray()) -split "`r`n"
                $method, $target = $lines[0] -split ' '
                $path = ($target -split '\?')[0]
                $length = 0
                foreach ($line in $lines) { if ($line -match '^Content-Length:\s*(\d+)') { $length = [long]$Matches[1] } }
                $requests.Enqueue("$method $path")
                $buffer = [byte[]]::new(65536); $read = 0
                if ($mode -eq 'CutUpload' -and $path -like '/upload/*' -and $length -gt 0) {
                    while ($read -lt $length / 2) { $n = $stream.Read($buffer, 0, $buffer.Length); if ($n -le 0) { break }; $read += $n }
                    $client.Client.LingerState = [Net.Sockets.LingerOption]::new($true, 0)
                    $client.Close(); continue
                }
                while ($read -lt $length) { $n = $stream.Read($buffer, 0, [Math]::Min($buffer.Length, $length - $read)); if ($n -le 0) { break }; $read += $n }
                $status = 404; $headers = @(); $body = [byte[]]::new(0); $type = 'application/json'
                if ($path -eq '/v2/') { $status = 200 }
                elseif ($method -eq 'HEAD' -and $path -like '*/blobs/*') { $status = 404 }
                elseif ($method -eq 'POST' -and $path -like '*/blobs/uploads/') { $status = 202; $headers = @('Location: /upload/' + [guid]::NewGuid().ToString('N')) }
                elseif ($path -like '/upload/*' -and $method -eq 'DELETE') { $status = 204 }
                elseif ($path -like '/upload/*' -and $method -eq 'PATCH') { $status = 202; $headers = @("Location: $path", "Range: 0-$($read - 1)") }
                elseif ($path -like '/upload/*' -and $method -eq 'PUT') { $status = 201; $headers = @('Docker-Content-Digest: sha256:' + ('0' * 64)) }
                elseif ($path -like '*/manifests/*' -and $mode -eq 'ForeignManifest') {
                    $status = 200; $type = 'application/vnd.docker.distribution.manifest.v1+prettyjws'
                    $body = [Text.Encoding]::UTF8.GetBytes('{"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]}')
                }
                elseif ($path -like '*/manifests/*' -and $manifest) { $status = 200; $type = 'application/vnd.oci.image.manifest.v1+json'; $body = $manifest }
                elseif ($path -like "*/blobs/$configDigest" -and $config) { $status = 200; $type = 'application/octet-stream'; $body = $config }
                elseif ($path -like '*/blobs/sha256:*' -and $layer) { $status = 200; $type = 'application/octet-stream'; $body = $layer }
                $text = "HTTP/1.1 $status Fault`r`nContent-Type: $type`r`nContent-Length: $($body.Length)`r`nConnection: close`r`n" + (($headers | ForEach-Object { "$_`r`n" }) -join '') + "`r`n"
                $bytes = [Text.Encoding]::ASCII.GetBytes($text)
                $stream.Write($bytes, 0, $bytes.Length)
                if ($method -ne 'HEAD') { $stream.Write($body, 0, $body.Length) }
                $stream.Flush()
                $client.Close()
            }
            catch { try { $client.Close() } catch { } }
        }
    }).AddArgument($listener).AddArgument($Mode).AddArgument($requests).AddArgument($Manifest).AddArgument($Config).AddArgument($Layer)
    $null = $ps.BeginInvoke()
    [pscustomobject]@{
        Address  = "127.0.0.1:$($listener.LocalEndpoint.Port)"
        Requests = $requests
        Stop     = { $listener.Stop(); $ps.Stop(); $ps.Dispose() }.GetNewClosure()
    }
}

# A TCP proxy on 127.0.0.1 in front of a registry (TLS passes through untouched) that resets the first
# connection on which the client has sent more than $CutAfter bytes (with -Download: received), once: a
# push or a pull cut half way, with a real registry. Returns Address (what to use: the registry's
# certificate names 127.0.0.1), State.Cuts (how many it made) and Stop.
function Start-CuttingProxy([int] $TargetPort, [long] $CutAfter, [switch] $Download) {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $state = [hashtable]::Synchronized(@{ Cuts = 0; Sockets = [Collections.Concurrent.ConcurrentBag[Net.Sockets.TcpClient]]::new() })
    $pool = [runspacefactory]::CreateRunspacePool(1, 16)
    $pool.Open()
    $pump = {
        param($client, $targetPort, $cutAfter, $state, $download)
        $server = [Net.Sockets.TcpClient]::new('127.0.0.1', $targetPort)
        $state.Sockets.Add($client); $state.Sockets.Add($server)
        try {
            $up = $client.GetStream(); $down = $server.GetStream()
            # The watched direction is pumped here, counting; the other one by .NET.
            if ($download) { $up, $down = $down, $up }
            $back = $down.CopyToAsync($up)
            $buffer = [byte[]]::new(65536); $sent = 0
            while (($n = $up.Read($buffer, 0, $buffer.Length)) -gt 0) {
                $sent += $n
                if ($sent -gt $cutAfter -and $state.Cuts -eq 0) {
                    $state.Cuts++
                    $client.Client.LingerState = [Net.Sockets.LingerOption]::new($true, 0)
                    $server.Client.LingerState = [Net.Sockets.LingerOption]::new($true, 0)
                    break
                }
                $down.Write($buffer, 0, $n)
            }
        }
        catch { }
        finally { $client.Close(); $server.Close() }
    }
    $ps = [powershell]::Create()
    $ps.RunspacePool = $pool
    $null = $ps.AddScript({
        param($listener, $pump, $targetPort, $cutAfter, $state, $pool, $download)
        while ($true) {
            try { $client = $listener.AcceptTcpClient() } catch { break }
            $worker = [powershell]::Create(); $worker.RunspacePool = $pool
            $null = $worker.AddScript($pump).AddArgument($client).AddArgument($targetPort).AddArgument($cutAfter).AddArgument($state).AddArgument($download)
            $null = $worker.BeginInvoke()
        }
    }).AddArgument($listener).AddArgument($pump).AddArgument($TargetPort).AddArgument($CutAfter).AddArgument($state).AddArgument($pool).AddArgument([bool]$Download)
    $null = $ps.BeginInvoke()
    [pscustomobject]@{
        Address = "127.0.0.1:$($listener.LocalEndpoint.Port)"
        State   = $state
        # Closing every socket ends the pumps still reading (a kept-alive connection the registry holds open).
        Stop    = { $listener.Stop(); foreach ($socket in $state.Sockets) { $socket.Close() }; $ps.Stop(); $ps.Dispose(); $pool.Close(); $pool.Dispose() }.GetNewClosure()
    }
}

Export-ModuleMember -Function Start-CuttingProxy, Get-RegistryTestSkipReason, Start-TestRegistry, Stop-TestRegistry, Get-RegistryRequests, Get-RegistryLogLength, Invoke-Skopeo, Start-FaultRegistry
