import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('wecom-sim serve (child process)', () => {
  it('prints its URL, serves gettoken for --app, logs calls without secrets and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'serve', '--app', 'wwcorp:topsecret99:1000002:hermes'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
        child.stdout.on('data', () => {
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      const res = (await (
        await fetch(`${url}/cgi-bin/gettoken?corpid=wwcorp&corpsecret=topsecret99`)
      ).json()) as {
        errcode: number;
        access_token: string;
      };
      expect(res.errcode).toBe(0);
      const bad = (await (await fetch(`${url}/cgi-bin/gettoken?corpid=wwcorp&corpsecret=nope`)).json()) as {
        errcode: number;
      };
      expect(bad.errcode).toBe(40001);
      // The log line is written right after the answer; poll stdout for it (bounded).
      for (let i = 0; i < 200 && !out.includes('errcode 40001'); i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(out).toContain('app hermes: corpid wwcorp, agentid 1000002, secret to…99');
      expect(out).toContain('GET /cgi-bin/gettoken → 200 errcode 40001');
      expect(out).not.toContain('topsecret99');
      expect(out).not.toContain(res.access_token);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  it('reads its app from WECOM_CORP_ID/WECOM_CORP_SECRET/WECOM_AGENT_ID and names the app of each API call', async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('WECOM_')),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, WECOM_CORP_ID: 'wwenv', WECOM_CORP_SECRET: 'envsecret42', WECOM_AGENT_ID: '1000009' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
        child.stdout.on('data', () => {
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match && out.includes('app app1')) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      const { access_token } = (await (
        await fetch(`${url}/cgi-bin/gettoken?corpid=wwenv&corpsecret=envsecret42`)
      ).json()) as { access_token: string };
      const send = (token: string) =>
        fetch(`${url}/cgi-bin/message/send?access_token=${token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            touser: 'zhangsan',
            msgtype: 'text',
            agentid: 1000009,
            text: { content: 'hi' },
          }),
        }).then((r) => r.json() as Promise<{ errcode: number }>);
      expect((await send(access_token)).errcode).toBe(0);
      expect((await send('not-a-token')).errcode).toBe(40014);
      for (let i = 0; i < 200 && !out.includes('unknown access_token'); i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(out).toContain('app app1: corpid wwenv, agentid 1000009, secret en…42');
      expect(out).toContain('GET /cgi-bin/gettoken app app1 → 200');
      expect(out).toContain('POST /cgi-bin/message/send app app1 → 200 errcode 0');
      expect(out).toContain('POST /cgi-bin/message/send (unknown access_token) → 200 errcode 40014');
      expect(out).not.toContain('envsecret42');
      expect(out).not.toContain(access_token);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
