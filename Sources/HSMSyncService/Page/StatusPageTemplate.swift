/// The status page's markup (Mustache; `{{ }}` escapes HTML). Plain HTML and CSS, no JavaScript:
/// it must read well on a phone at 3 a.m. and in a text browser.
enum StatusPageTemplate {
    static let source = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="refresh" content="30">
        <title>hsmsync — {{fleet}}: {{statusWord}}</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #111; max-width: 70rem; }
        h1 { font-size: 1.4rem; margin-bottom: .2rem; }
        .status { display: inline-block; padding: .3rem .8rem; border-radius: .3rem; font-weight: bold; color: #fff; }
        .parity { background: #1a7f37; } .drift { background: #b35900; } .error { background: #c62828; }
        .unknown { background: #555; }
        table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
        th, td { text-align: left; padding: .25rem .8rem .25rem 0; border-bottom: 1px solid #ddd; vertical-align: top; }
        .muted { color: #555; } .bad { color: #c62828; font-weight: bold; }
        code { font-size: .9em; }
        </style>
        </head>
        <body>
        <h1>hsmsync · fleet {{fleet}}</h1>
        <p><span id="status" class="status {{status}}">{{statusWord}}</span>
         since {{since}} <span class="muted">(instance {{instance}}, sync {{syncMode}}{{#lastWatch}}, last watch {{lastWatch}}{{/lastWatch}})</span></p>

        <h2>HSMs</h2>
        <table id="hsms">
        <tr><th>HSM</th><th>role</th><th>site</th><th>reachable</th><th>objects</th><th>last scan</th></tr>
        {{#hsms}}
        <tr><td>{{name}}</td><td>{{role}}</td><td>{{site}}</td><td class="{{reachableClass}}">{{reachable}}</td><td>{{objects}}</td><td>{{lastScan}}</td></tr>
        {{/hsms}}
        </table>

        <h2>Findings</h2>
        {{^groups}}<p id="no-findings">No findings: every HSM holds the same keys.</p>{{/groups}}
        {{#groups}}
        <h3>{{kind}} ({{count}})</h3>
        <p><strong>Next step:</strong> {{nextStep}}</p>
        <ul>
        {{#findings}}<li><code>{{hsm}}</code> {{key}} — {{detail}}</li>
        {{/findings}}
        {{#more}}<li class="muted">and {{more}} more (GET /v1/findings)</li>{{/more}}
        </ul>
        {{/groups}}

        <h2>Last runs</h2>
        {{^runs}}<p>No runs yet.</p>{{/runs}}
        <table id="runs">
        {{#hasRuns}}<tr><th>run</th><th>kind</th><th>state</th><th>status</th><th>queued</th><th>by</th></tr>{{/hasRuns}}
        {{#runs}}
        <tr><td><code>{{id}}</code></td><td>{{kind}}</td><td>{{state}}</td><td>{{status}}</td><td>{{queued}}</td><td>{{by}}</td></tr>
        {{/runs}}
        </table>

        <h2>Backups</h2>
        {{#drill}}<p id="drill">Last verified restorable backup: bundle from {{source}}, created {{created}}, {{proven}} objects proven, verified {{verified}}.</p>{{/drill}}
        {{^drill}}<p id="drill">No backup has been proven restorable yet (<code>hsmsync backup drill</code>).</p>{{/drill}}

        <p class="muted">Generated {{generated}} · JSON: <a href="/v1/status">/v1/status</a> · metrics: <a href="/metrics">/metrics</a></p>
        </body>
        </html>
        """
}
