"""The nginx.conf `cli.py serve` writes into its run directory: README's "behind nginx" recipe for N app processes.

nginx runs as the calling user (no root needed): its pid, logs and temp paths are in the run directory, and it
listens on 127.0.0.1 only — the intranet's login proxy, or a browser on the same machine, comes to it there.

Sticky sessions: a Streamlit session lives in one process (its websocket, st.session_state, its uploads and media),
so every request of a browser must reach the same process. `ip_hash` would send every browser behind one address
(the login proxy, or 127.0.0.1) to one process; so nginx routes on a cookie instead. A request without the cookie
(a browser's first, the page load) goes to the processes in turn, and the answer sets the cookie to the address of
the one it reached: the browser's next requests, the websocket included, go there. So twenty browsers arriving
together split 10 : 10 (a random route, a hash of the request id, split them 7 : 13). A cookie naming no process of
this run (an earlier run on other ports) counts as none.
"""
ROUTE_COOKIE = "jsjb_route"
UPSTREAM_HEADER = "X-App-Process"  # names the process that answered (its 127.0.0.1:port): checks and debugging
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")  # each defaults to /var/lib/nginx (root's)


def nginx_conf(port: int, app_ports: list[int], run_dir: str, base_path: str = "") -> str:
    """The whole configuration; `base_path` without slashes ("" = the root)."""
    location = f"/{base_path}/" if base_path else "/"
    cookie = f"{ROUTE_COOKIE}=$upstream_addr; Path={location}; HttpOnly; SameSite=Lax"
    known = "\n".join(f'        "127.0.0.1:{p}" 127.0.0.1:{p};' for p in app_ports)
    known_set = "\n".join(f'        "127.0.0.1:{p}" "";' for p in app_ports)
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in app_ports)
    outside = (f"""
        location / {{                                     # outside the base path: to the dashboard
            return 302 {location};
        }}
""" if base_path else "")
    temp = "\n".join(f"    {name}_temp_path {run_dir}/temp/{name};" for name in TEMP_PATHS)
    return f"""# Written by `cli.py serve` (scripts/serve.sh) at every start: edits here are lost.
worker_processes 1;
pid {run_dir}/nginx.pid;
error_log {run_dir}/nginx-error.log warn;
daemon off;

events {{
    worker_connections 1024;
}}

http {{
    log_format upstream '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time '
                        'process=$upstream_addr';
    access_log {run_dir}/nginx-access.log upstream;
{temp}
    server_tokens off;

    # The route: the process the browser's cookie names, else the next in turn (and the answer names it).
    map $cookie_{ROUTE_COOKIE} $app {{
{known}
        default jsjb_apps;
    }}
    map $cookie_{ROUTE_COOKIE} $set_route {{
{known_set}
        default "{cookie}";
    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; "" close; }}

    upstream jsjb_apps {{
{servers}
    }}

    server {{
        listen 127.0.0.1:{port};
{outside}
        location {location} {{
            proxy_pass http://$app;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;       # the app talks over a websocket (/_stcore/stream)
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            # X-Remote-User and the proxy secret from the login proxy in front pass through unchanged.
            proxy_set_header X-Forwarded-For "";          # Streamlit would take it as the peer address
            proxy_read_timeout 86400;                     # keep idle meeting-room sessions open
            proxy_send_timeout 86400;
            proxy_buffering off;
            proxy_request_buffering off;                  # uploads stream through; the app enforces its limits
            client_max_body_size 0;
            add_header Set-Cookie $set_route;             # empty (no header) once the browser has the cookie
            add_header {UPSTREAM_HEADER} $upstream_addr always;
        }}
    }}
}}
"""
