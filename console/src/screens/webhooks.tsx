import { useState } from 'preact/hooks';
import type { Call } from '../api';
import { OPERATIONS, type Operation } from '../operations';
import { useMissingRight } from '../session';
import { Curl, Outcome, Pager, Reason, Screen, useCall, useLoad, When } from '../ui';
import type { Webhook, WebhookDelivery } from '../views';
import { WEBHOOK_EVENTS } from '../vocabulary';
import { Confirm, OnceSecret } from './admin-parts';

interface IssuedSecret {
  url: string;
  secret: string;
}

/** The answer and the curl line of the last action a part of the screen ran. */
function LastAction({ action }: { action: ReturnType<typeof useCall> }) {
  return action.ran ? (
    <>
      <Outcome answer={action.answer} />
      <Curl operation={action.ran.operation} request={action.ran.request} />
    </>
  ) : null;
}

/** The tenant's webhook subscriptions: create, enable or disable, rotate the secret, delete; deliveries and redelivery. */
export function Webhooks() {
  const why = useMissingRight(OPERATIONS.listWebhooks);
  const list = useLoad<Webhook[]>(OPERATIONS.listWebhooks);
  // A secret the service answers once (creation, rotation): kept by this screen (and the answer of the call that got
  // it), so it is gone once the user navigates away.
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
  const create = useCall<IssuedSecret>(OPERATIONS.createWebhook);
  const body = { url, events, ...(description ? { description } : {}) };
  const toggle = (event: string, on: boolean) => setEvents(on ? [...events, event] : events.filter((chosen) => chosen !== event));
  const submit = async (event: Event) => {
    event.preventDefault();
    const answer = await create.run({ body });
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
        <button type="submit" disabled={Boolean(why) || create.busy}>
          Create webhook
        </button>
        <Reason why={why} />
      </div>
      <Outcome answer={create.answer} />
      <Curl operation={OPERATIONS.createWebhook} request={{ body }} />
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
  const action = useCall();
  const run = async (request: Call, operation: Operation) => {
    const answer = await action.run<Partial<IssuedSecret>>(request, operation);
    if (answer.ok && answer.data?.secret) onSecret(answer.data.url ?? '', answer.data.secret);
    else if (answer.ok) onChanged();
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
              <th>Old secret signs until</th>
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
                  <When at={webhook.previousSecretExpiresAt} />
                </td>
                <td>
                  <div class="actions">
                    <Confirm
                      action={webhook.enabled ? 'Disable' : 'Enable'}
                      what={webhook.url}
                      why={why}
                      operation={OPERATIONS.updateWebhook}
                      request={{ params: { id: webhook.id }, body: { enabled: !webhook.enabled } }}
                      onConfirm={run}
                    />
                    <Confirm
                      action="Rotate secret"
                      what={webhook.url}
                      why={why}
                      operation={OPERATIONS.rotateWebhookSecret}
                      request={{ params: { id: webhook.id } }}
                      onConfirm={run}
                    />
                    <button
                      type="button"
                      disabled={Boolean(why)}
                      onClick={() => onDeliveries(webhook.id)}
                      aria-label={`Deliveries of ${webhook.url}`}
                    >
                      Deliveries
                    </button>
                    <Confirm
                      action="Delete"
                      what={webhook.url}
                      why={why}
                      operation={OPERATIONS.deleteWebhook}
                      request={{ params: { id: webhook.id } }}
                      onConfirm={run}
                    />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <LastAction action={action} />
    </>
  );
}

/** One subscription's deliveries, newest first, in pages; each can be sent again. */
function Deliveries({ webhook, why }: { webhook: Webhook; why?: string }) {
  const [cursor, setCursor] = useState<string>();
  const request: Call = { params: { id: webhook.id }, query: { cursor } };
  const list = useLoad<WebhookDelivery[]>(OPERATIONS.listDeliveries, request, [cursor]);
  const action = useCall(OPERATIONS.redeliver);
  const redeliver = async (request: Call) => {
    if ((await action.run(request)).ok) list.reload();
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
                    <Confirm
                      action="Redeliver"
                      what={`${delivery.eventType} ${delivery.id}`}
                      why={why}
                      operation={OPERATIONS.redeliver}
                      request={{ params: { id: webhook.id, deliveryId: delivery.id } }}
                      onConfirm={redeliver}
                    />
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
      <LastAction action={action} />
    </section>
  );
}
