import { useState } from 'preact/hooks';
import { call, type Answer, type Call } from '../api';
import { OPERATIONS, type Operation } from '../operations';
import { useMissingRight } from '../session';
import { Curl, Outcome, Reason, Screen, useLoad, When } from '../ui';
import type { Webhook, WebhookDelivery } from '../views';
import { WEBHOOK_EVENTS } from '../vocabulary';
import { Confirm, OnceSecret, Pager } from './admin-parts';

interface Done {
  operation: Operation;
  request: Call;
  answer: Answer<unknown>;
}

/** The last action of a part of the screen: its answer and its curl line. */
function useAction() {
  const [done, setDone] = useState<Done>();
  const [busy, setBusy] = useState(false);
  const act = async <T,>(operation: Operation, request: Call): Promise<Answer<T>> => {
    setBusy(true);
    try {
      const answer = await call<T>(operation, request);
      setDone({ operation, request, answer });
      return answer;
    } finally {
      setBusy(false);
    }
  };
  const shown = done ? (
    <>
      <Outcome answer={done.answer} />
      <Curl operation={done.operation} request={done.request} />
    </>
  ) : null;
  return { act, busy, shown };
}

/** The tenant's webhook subscriptions: create, enable or disable, rotate the secret, delete; deliveries and redelivery. */
export function Webhooks() {
  const why = useMissingRight(OPERATIONS.listWebhooks);
  const list = useLoad<Webhook[]>(OPERATIONS.listWebhooks);
  // A secret the service answers once (creation, rotation): in this screen's state only.
  const [secret, setSecret] = useState<{ url: string; secret: string }>();
  const [selected, setSelected] = useState<string>();
  const webhooks = list.answer?.ok ? (list.answer.data ?? []) : [];
  const shownDeliveries = webhooks.find((webhook) => webhook.id === selected);
  const issued = (url: string, value: string) => {
    setSecret({ url, secret: value });
    list.reload();
  };
  return (
    <Screen title="Webhooks">
      <CreateWebhook why={why} onCreated={issued} />
      {secret ? (
        <OnceSecret name="Webhook signing secret" secret={secret.secret}>
          <p>
            The signing secret of <code>{secret.url}</code>.
          </p>
        </OnceSecret>
      ) : null}
      <h2>Subscriptions</h2>
      <div class="actions">
        <button type="button" onClick={list.reload}>
          Refresh subscriptions
        </button>
        <Reason why={why} />
      </div>
      {list.answer?.ok ? (
        <WebhookTable webhooks={webhooks} why={why} onChanged={list.reload} onSecret={issued} onDeliveries={setSelected} />
      ) : (
        <Outcome answer={list.answer} />
      )}
      <Curl operation={OPERATIONS.listWebhooks} />
      {shownDeliveries ? <Deliveries key={shownDeliveries.id} webhook={shownDeliveries} why={why} /> : null}
    </Screen>
  );
}

function CreateWebhook({ why, onCreated }: { why?: string; onCreated: (url: string, secret: string) => void }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const { act, busy, shown } = useAction();
  const body = { url, events, ...(description ? { description } : {}) };
  const toggle = (event: string, on: boolean) => setEvents(on ? [...events, event] : events.filter((chosen) => chosen !== event));
  const submit = async (event: Event) => {
    event.preventDefault();
    const answer = await act<{ url: string; secret: string }>(OPERATIONS.createWebhook, { body });
    if (answer.ok && answer.data) onCreated(answer.data.url, answer.data.secret);
  };
  return (
    <form onSubmit={submit} aria-label="Create a webhook">
      <h2>Create a webhook</h2>
      <label>
        URL
        <input value={url} onInput={(e) => setUrl(e.currentTarget.value)} required autoComplete="off" spellcheck={false} />
      </label>
      <label>
        Description (optional)
        <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} autoComplete="off" />
      </label>
      <fieldset class="choices">
        <legend>Events</legend>
        {['*', ...WEBHOOK_EVENTS].map((name) => (
          <label class="inline" key={name}>
            <input type="checkbox" checked={events.includes(name)} onChange={(e) => toggle(name, e.currentTarget.checked)} />
            {name === '*' ? 'every event (*)' : name}
          </label>
        ))}
      </fieldset>
      <div class="actions">
        <button type="submit" disabled={Boolean(why) || busy}>
          Create webhook
        </button>
        <Reason why={why} />
      </div>
      {shown ?? <Curl operation={OPERATIONS.createWebhook} request={{ body }} />}
    </form>
  );
}

interface TableProps {
  webhooks: Webhook[];
  why?: string;
  onChanged: () => void;
  onSecret: (url: string, secret: string) => void;
  onDeliveries: (id: string) => void;
}

function WebhookTable({ webhooks, why, onChanged, onSecret, onDeliveries }: TableProps) {
  const { act, busy, shown } = useAction();
  const disabled = Boolean(why) || busy;
  const setEnabled = async (id: string, enabled: boolean) => {
    if ((await act(OPERATIONS.updateWebhook, { params: { id }, body: { enabled } })).ok) onChanged();
  };
  const rotate = async (id: string) => {
    const answer = await act<{ url: string; secret: string }>(OPERATIONS.rotateWebhookSecret, { params: { id } });
    if (answer.ok && answer.data) onSecret(answer.data.url, answer.data.secret);
  };
  const remove = async (id: string) => {
    if ((await act(OPERATIONS.deleteWebhook, { params: { id } })).ok) onChanged();
  };
  return (
    <>
      <div class="table-box">
        <table aria-label="Webhooks">
          <thead>
            <tr>
              <th>URL</th>
              <th>Events</th>
              <th>Enabled</th>
              <th>Failing since</th>
              <th>Disabled reason</th>
              <th>Created</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {webhooks.map((webhook) => (
              <tr key={webhook.id}>
                <td>
                  <code>{webhook.url}</code>
                  {webhook.description ? <div class="hint">{webhook.description}</div> : null}
                </td>
                <td>{webhook.events.join(', ')}</td>
                <td>{webhook.enabled ? 'yes' : 'no'}</td>
                <td>
                  <When at={webhook.failingSince} />
                </td>
                <td>
                  {webhook.disabledReason ?? '–'}
                  {webhook.disabledAt ? (
                    <div>
                      <When at={webhook.disabledAt} />
                    </div>
                  ) : null}
                </td>
                <td>
                  <When at={webhook.createdAt} />
                </td>
                <td>
                  <div class="actions">
                    <button
                      type="button"
                      disabled={disabled}
                      onClick={() => setEnabled(webhook.id, !webhook.enabled)}
                      aria-label={`${webhook.enabled ? 'Disable' : 'Enable'} ${webhook.url}`}
                    >
                      {webhook.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button type="button" disabled={disabled} onClick={() => rotate(webhook.id)} aria-label={`Rotate the secret of ${webhook.url}`}>
                      Rotate secret
                    </button>
                    <button
                      type="button"
                      disabled={Boolean(why)}
                      onClick={() => onDeliveries(webhook.id)}
                      aria-label={`Deliveries of ${webhook.url}`}
                    >
                      Deliveries
                    </button>
                    <Confirm action="Delete" what={webhook.url} why={why} onConfirm={() => remove(webhook.id)} />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown}
    </>
  );
}

/** One subscription's deliveries, newest first, in pages; each can be sent again. */
function Deliveries({ webhook, why }: { webhook: Webhook; why?: string }) {
  const [cursor, setCursor] = useState<string>();
  const request: Call = { params: { id: webhook.id }, query: { cursor } };
  const list = useLoad<WebhookDelivery[]>(OPERATIONS.listDeliveries, request, [cursor]);
  const { act, busy, shown } = useAction();
  const redeliver = async (deliveryId: string) => {
    if ((await act(OPERATIONS.redeliver, { params: { id: webhook.id, deliveryId } })).ok) list.reload();
  };
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">
        Deliveries to <code>{webhook.url}</code>
      </h2>
      <div class="actions">
        <button type="button" onClick={list.reload}>
          Refresh deliveries
        </button>
      </div>
      {list.answer?.ok ? (
        <div class="table-box">
          <table aria-label="Deliveries">
            <thead>
              <tr>
                <th>Event type</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Last status code</th>
                <th>Last error</th>
                <th>Next attempt</th>
                <th>Delivered at</th>
                <th>Created</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {(list.answer.data ?? []).map((delivery) => (
                <tr key={delivery.id}>
                  <td>{delivery.eventType}</td>
                  <td>{delivery.status}</td>
                  <td>{delivery.attempts}</td>
                  <td>{delivery.lastStatusCode ?? '–'}</td>
                  <td>{delivery.lastError ?? '–'}</td>
                  <td>
                    <When at={delivery.nextAttemptAt} />
                  </td>
                  <td>
                    <When at={delivery.deliveredAt} />
                  </td>
                  <td>
                    <When at={delivery.createdAt} />
                  </td>
                  <td>
                    <button
                      type="button"
                      disabled={Boolean(why) || busy}
                      onClick={() => redeliver(delivery.id)}
                      aria-label={`Redeliver ${delivery.eventType} ${delivery.id}`}
                    >
                      Redeliver
                    </button>
                    <Reason why={why} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Outcome answer={list.answer} />
      )}
      <Pager meta={list.answer?.meta} cursor={cursor} onPage={setCursor} />
      <Curl operation={OPERATIONS.listDeliveries} request={request} />
      {shown}
    </section>
  );
}
