// All UI strings, Dutch first; t("key", {name}) fills {name} placeholders (as text, or with a
// node such as a <bdi> name). Longer than the other modules on purpose: it is one table. The
// Dutch messages only begeleiders', organisers', screens' and archive pages ask for are added
// from i18n-staff.js by those pages' modules; English has the whole table in i18n-en.js, loaded
// only by a page that shows English (a phone on venue Wi-Fi does not wait for either, R61).
// tests/test_i18n.py checks both languages have the same keys and placeholders, that every key
// the code asks for exists (and its module imports i18n-staff.js when it is there), and that
// every key is used.

export const messages = {
  nl: {
    appTitle: "Vier hoeken",
    langName: "English",
    connOpen: "verbonden",
    connConnecting: "opnieuw verbinden…",
    connOffline: "offline",
    readOnly: "Het bord kan even niet opslaan; je notities worden verstuurd zodra het weer kan.",
    homeIntro: "Reageer samen op vier conceptinstrumenten: per hoek drie stations met plakbriefjes. Doe mee met de code die je begeleider laat zien.",
    joinTitle: "Doe mee met code",
    joinCodeLabel: "Code",
    joinButton: "Doe mee",
    joinUnknown: "Geen sessie gevonden met code {code}.",
    errorGeneric: "Er ging iets mis: {message}",
    createdTitle: "Sessie aangemaakt",
    joinCode: "Deelnamecode",
    joinLink: "Deelnamelink",
    facilitatorLink: "Begeleiderslink (bewaar deze goed)",
    openAsFacilitator: "Openen als begeleider",
    copy: "Kopieer",
    copied: "Gekopieerd",
    profileTitle: "Wie ben je?",
    nameLabel: "Naam (mag leeg blijven)",
    namePlaceholder: "anoniem",
    groupLabel: "Groep",
    noGroup: "geen groep",
    continue: "Verder",
    cornersTitle: "Kies je hoek",
    corner: "Hoek {n}",
    changeCorner: "Hoeken",
    changeProfile: "Naam/groep",
    sessionInfo: "Sessie-info",
    addNote: "+ Notitie",
    addNoteTo: "Notitie toevoegen bij {station}",
    editorPlaceholder: "Typ je reactie… (Enter = opslaan)",
    editNote: "Bewerk notitie",
    deleteNote: "Verwijder",
    confirmDelete: "Deze notitie verwijderen?",
    colour: "Kleur",
    colours: { yellow: "geel", pink: "roze", blue: "blauw", green: "groen", orange: "oranje", purple: "paars" },
    moveTo: "Verplaats naar…",
    moreActions: "Meer acties",
    anonymous: "anoniem",
    pending: "wordt opgeslagen…",
    emptyStation: "Nog geen notities.",
    connecting: "Verbinden…",
    badToken: "Deze link is niet (meer) geldig. Vraag een nieuwe code.",
    opRejected: "Niet opgeslagen: {message}",
    viewerNote: "Je kijkt mee; toevoegen kan niet met deze link.",
    notFound: "Pagina niet gevonden.",
    you: "jij",
    dragging: "wordt verplaatst",
    instrumentNames: { praatplaat: "De praatplaat", matrix: "De matrix", achtje: "Het 8-tje", reflectietool: "De reflectietool" },
    activityName: "Naam van de activiteit",
    activityPlaceholder: "Nieuwe activiteit, bijv. Open dag",
    addColumn: "Activiteit toevoegen",
    activityN: "Activiteit {n}",
    columnName: "Naam van activiteit {n}",
    matrixQuestion: "Vraag",
    matrixRowNotes: "Algemeen",
    matrixNoColumns: "Nog geen activiteiten: voeg er een toe om de matrix per activiteit in te vullen.",
    matrixRegion: "Matrix (scroll zijwaarts voor meer activiteiten)",
    moveLeft: "Naar links",
    moveRight: "Naar rechts",
    partnerNameLabel: "Naam voor {partner}",
    partnerA: "Partner A",
    partnerB: "Partner B",
    partnerNone: "geen",
    questions: "Vragen",
    flags: "Valkuilen",
    flagHint: "{title} Vink een valkuil aan op het niveau waar die speelt.",
    figureCaption: "Het 8-tje: afstemming binnen en tussen de partners, per niveau",
    reflection: "Reflectie",
    reflectionN: "Reflectie {n}",
    newReflection: "Nieuwe reflectie",
    speaksFor: "Ik spreek voor",
    scoreNote: "Toelichting (mag leeg blijven)",
    scoreNoteFor: "Toelichting bij {aspect}",
    notes: "Notities",
    radarTitle: "Radar van de gemiddelden",
    everyone: "Iedereen",
    previous: "Vorige ({title})",
    sdN: "{n} scores · spreiding {sd}",
    noScores: "nog geen scores",
    distribution: "Verdeling van de scores",
    respondents: "{n} deelnemer(s) gescoord",
    // the instrument on its corner, notes about a part, the material (R49, R50, R62–R64)
    reflectionOn: "Reflectie {date}",
    reflectionTitled: "{title}, {date}",
    reflectionStarted: "De begeleider is een nieuwe reflectie begonnen: {title}. Je scoort nu daarin.",
    myScores: "Jouw scores",
    scoresHidden: "De scores van anderen zie je zodra de begeleider ze laat zien.",
    scoresHiddenShort: "Scores van anderen: nog verborgen.",
    removeColumn: "Activiteit verwijderen",
    removeColumnTitle: "Activiteit ‘{name}’ verwijderen?",
    removeColumnText: "Notities in deze kolom: {n}. Ze gaan niet verloren: ze komen terug bij hun vraag.",
    flagLegend: "Wat de uitroeptekens betekenen",
    flagLegendRaised: "Rood: de groep heeft deze valkuil aangevinkt.",
    flagAt: "(bij {level})",
    flagBetween: "(tussen de niveaus)",
    flagBetweenThese: "tussen {above} en {level}",
    figureTitle: "{title}: het instrument",
    figureHint: "Tik op een onderdeel en schrijf er een notitie over.",
    figureScale: "Schaal",
    partNotes: "notities: {n}",
    unknownPart: "een onderdeel dat er niet meer is",
    pinAbout: "Notitie over:",
    pinStation: "Bij welk station?",
    pinTextFor: "Je notitie over {part}",
    pinSend: "Plaatsen",
    pinAdded: "Notitie geplaatst bij {station}.",
    notePart: "Over: {part}",
    notePinLabel: "Over onderdeel",
    notePinNone: "geen onderdeel",
    materialTitle: "Het materiaal",
    materialNone: "Nog geen materiaal bij deze hoek.",
    materialPages: "pagina's: {n}",
    materialPage: "Pagina {n} van {total}",
    materialZoom: "Pagina {n} groter of kleiner",
    materialDownload: "Origineel downloaden",
    // facilitating the day: rotation, timer, overview, projector
    overview: "Overzicht",
    roundN: "Ronde {n}",
    timerAria: "Rondetimer",
    timerStates: { running: "loopt", ending: "laatste minuut", paused: "gepauzeerd", over: "tijd is om" },
    rotationMove: "Ronde {n}: jullie groep gaat naar {corner}",
    roundStarted: "Ronde {n} is begonnen",
    yourCorner: "jullie hoek in ronde {n}",
    summonMove: "Iedereen naar {corner}!",
    summonEnded: "De oproep is voorbij: jullie groep gaat terug naar {corner}",
    summonOver: "De oproep is voorbij.",
    assignedTo: "De begeleider heeft je in {group} gezet.",
    assignedNone: "De begeleider heeft je uit je groep gehaald.",
    groupGone: "Je groep bestaat niet meer. Kies een groep via Naam/groep.",
    closeNotice: "Melding sluiten",
    draftHold: "maak je notitie eerst af; daarna ga je erheen.",
    goNow: "Nu erheen",
    timerSetNext: "De nieuwe rondelengte ({min} min) geldt vanaf de volgende ronde; deze ronde loopt gewoon door.",
    menu: "Menu",
    sound: "Geluid",
    soundOnHint: "Dit scherm laat een geluid horen als de tijd om is. Klik om het uit te zetten.",
    soundOffHint: "Dit scherm is stil als de tijd om is. Klik om het geluid aan te zetten.",
    // clusters, votes, moderation (R26-R29)
    stationViewOpen: "Per station",
    looseNotes: "Overige notities",
    clusterUntitled: "Cluster zonder naam",
    clusterDropHint: "Sleep notities hierheen.",
    clusterEmpty: "Nog geen notities.",
    clusterRename: "Hernoemen",
    clusterName: "Naam van het cluster",
    clusterNamePlaceholder: "Naam van het cluster",
    clusterMerge: "Samenvoegen met…",
    clusterMergeLabel: "Voeg dit cluster samen met een ander cluster",
    clusterRemove: "Opheffen",
    clusterAria: "Cluster {title}, {n} notities",
    clusterCount: "{n} notities",
    clusterCountOne: "1 notitie",
    clusterNew: "+ Cluster",
    clusterNewFor: "Nieuw cluster bij {station}",
    clusterCreate: "Maak",
    clusterUndo: "Ongedaan maken",
    clusterUndoHint: "Maak je laatste clusterwijziging ongedaan",
    clusterOfNote: "Cluster van deze notitie",
    clusterNone: "Cluster: geen",
    clusterOption: "Cluster: {title}",
    cancel: "Annuleren",
    close: "Sluiten",
    voteTitle: "Stemmen met stippen",
    voteScope: "Waarover",
    voteScopeBoard: "Dit hele bord",
    voteScopeBoardStation: "{station} op dit bord",
    voteScopeOther: "elders",
    voteBudget: "Stippen per deelnemer",
    voteCap: "Max. per notitie",
    voteAnonymous: "Anoniem",
    voteOpen: "Stemronde openen",
    voteClose: "Stemronde sluiten",
    resultTitle: "Uitslag van de stemronde",
    resultSummary: "Uitslag: {title} ● {n}",
    resultNone: "Nog geen stippen.",
    resultHiddenNote: "(verborgen notitie)",
    resultLive: "Stemronde loopt: de tussenstand",
    resultLiveHint: "Alleen begeleiders zien de tussenstand; iedereen ziet de uitslag zodra je de stemronde sluit.",
    resultShownHint: "De uitslag staat op de telefoons en schermen tot je hem weghaalt of de volgende ronde start.",
    voteElsewhere: "Stem ook bij:",
    voteStateResult: "Gesloten, uitslag zichtbaar",
    voteDismiss: "Uitslag weghalen",
    voteNone: "Nog geen stemronde.",
    voteStateOpen: "Open",
    voteStateClosed: "Gesloten",
    voteRules: "{budget} stippen, max. {cap} per notitie",
    voteAnon: "anoniem",
    voteNamed: "met namen",
    voteTally: "{voters} stemmers, {dots} stippen",
    voteOpenIn: "Stemronde ({scope}, max. {cap} per notitie):",
    voteOpenAll: "Stemronde (max. {cap} per notitie):",
    dotsLeft: "Nog {n} stippen",
    dotsLeftOne: "Nog 1 stip",
    dotsTotal: "● {n}",
    myDotsOn: "Jouw stippen hier: {n}",
    votePlus: "+ stem",
    votePlusMore: " op deze notitie",
    voteMinus: "Haal een stip weg",
    modeLabel: "Bord",
    modes: { open: "Open", hidden: "Verborgen tot onthullen", locked: "Op slot" },
    modeBannerHidden: "De notities van anderen zijn verborgen tot de begeleider ze onthult. Je ziet je eigen notities wel.",
    modeBannerLocked: "Dit bord is op slot: toevoegen en wijzigen kan even niet.",
    modeBannerHiddenScreen: "De notities zijn verborgen tot de begeleider ze onthult.",
    redactedUntilReveal: "verborgen tot de begeleider onthult",
    redactedHidden: "verborgen door de begeleider",
    hiddenFlag: "verborgen",
    hiddenFlagMine: "verborgen voor anderen",
    noteHide: "Verbergen",
    noteShow: "Tonen",
    trashTitle: "Verwijderd",
    trashEmpty: "Geen verwijderde notities.",
    restoreNote: "Herstellen",
    emptyText: "(leeg)",
    // archive
    snapshotBanner: "Snapshot \u201c{name}\u201d",
    now: "Nu",
    sessionDeleted: "De sessie is verwijderd.",
    errorCodes: {
      forbidden: "Dat mag niet met deze link",
      bad_plan: "Het schema past niet",
      unknown_group: "Die groep bestaat niet (meer)",
      unknown_corner: "Die hoek bestaat niet",
      no_such_round: "Die ronde staat niet in het schema",
      text_too_long: "De tekst is te lang",
      unknown_note: "Die notitie bestaat niet (meer)",
      unknown_cluster: "Dat cluster bestaat niet (meer) of hoort bij een ander station",
      nothing_to_undo: "Er is niets om ongedaan te maken",
      unknown_vote: "Die stemronde bestaat niet",
      vote_closed: "De stemronde is gesloten",
      over_budget: "Je stippen zijn op",
      over_cap: "Meer stippen op deze notitie mag niet",
      no_dot: "Je hebt hier geen stip om terug te nemen",
      board_locked: "Dit bord is op slot",
      session_closed: "De sessie is gesloten",
      duplicate_note: "Die notitie bestaat al",
      unknown_zone: "Die plek bestaat niet (meer)",
      unknown_anchor: "Dat onderdeel bestaat niet (meer)",
      unknown_board: "Dat bord hoort niet bij deze sessie",
      score_out_of_range: "Die score kan niet",
      not_yours: "Alleen wie de notitie schreef (of de begeleider) kan haar wijzigen",
      note_hidden: "Deze notitie is verborgen, dus je kunt haar niet wijzigen",
      removed: "Je bent uit deze sessie gehaald",
      quota_exceeded: "Hier kunnen geen notities meer bij",
      too_many_tries: "Te veel pogingen; probeer het over een minuut opnieuw",
      rate_limited: "Te veel wijzigingen tegelijk; even rustig aan",
      bad_link: "Deze inloglink is al gebruikt, verlopen of onbekend. Vraag een nieuwe aan bij wie de server beheert.",
      bad_login: "Naam of wachtwoord klopt niet.",
      not_signed_in: "Daarvoor moet je ingelogd zijn als organisator",
      unknown_session: "Die sessie bestaat niet (meer)",
      store_unavailable: "De server kan even niet opslaan; probeer het zo opnieuw",
      import_refused: "Dit bestand kan niet worden geïmporteerd",
      too_large: "Dit bestand is te groot",
      bad_request: "Dat verzoek klopt niet",
      unknown_invite: "Die uitnodiging bestaat niet (meer)",
      unknown_template: "Dat instrument bestaat niet",
      bad_token: "Deze link is niet (meer) geldig",
      snapshot_exists: "Er is al een snapshot met die naam",
      unknown_snapshot: "Die snapshot bestaat niet",
      bad_frame: "Dat verzoek klopt niet",
      bad_json: "Dat verzoek klopt niet",
      bad_version: "Deze pagina is verouderd; laad haar opnieuw",
      unknown_type: "Dat verzoek klopt niet",
      wrong_layout: "Dat kan niet op dit bord",
      unknown_part: "Dat onderdeel bestaat niet (meer)",
      unknown_format: "Dat bestandsformaat kan niet",
      unknown_instrument: "Dat instrument bestaat niet",
      unknown_material: "Dat materiaal bestaat niet (meer)",
      unknown_page: "Die pagina bestaat niet",
      unsupported_type: "Dat soort bestand kan niet",
      corrupt_snapshot: "Deze snapshot is beschadigd en kan niet worden gelezen",
      server_error: "Er ging iets mis op de server; probeer het zo opnieuw",
      unknown: "De server weigerde dit ({code})",
    },
    // organisers, sessions, who may do what (R31-R37)
    joinCodeHint: "8 tekens, bijvoorbeeld ABCD EFGH (met of zonder spatie).",
    tooManyTries: "Te veel pogingen. Probeer het over {n} seconden opnieuw.",
    networkError: "Geen verbinding met de server. Probeer het zo opnieuw.",
    loginTitle: "Inloggen als organisator",
    loginIntro: "Organisatoren maken sessies aan en beheren ze. Je krijgt een eenmalige inloglink van wie de server beheert; daarna kun je hier ook met naam en wachtwoord inloggen.",
    loginName: "Naam",
    loginPassword: "Wachtwoord",
    loginButton: "Inloggen",
    mySessions: "Mijn sessies",
    mySessionsNone: "Je hebt nog geen sessies.",
    signedInAs: "Ingelogd als organisator {name}",
    signedOutMeanwhile: "Je bent niet meer ingelogd. Log opnieuw in.",
    signedOut: "Je bent uitgelogd.",
    signedOutEverywhere: "Je bent overal uitgelogd, ook op andere apparaten.",
    untitledSession: "Sessie zonder naam",
    sessionClosedMark: "gesloten",
    deleteMine: "Verwijderen",
    deleteMineTitle: "Sessie verwijderen?",
    deleteMineText: "“{title}” (code {code}) wordt verwijderd met alle borden, notities en snapshots. De links en de code werken daarna niet meer.",
    deleteMineConfirm: "Definitief verwijderen",
    sessionDeletedTitle: "De sessie “{title}” is verwijderd.",
    removedTitle: "Je bent uit deze sessie gehaald",
    removedText: "De begeleider heeft je uit deze sessie gehaald. Je kunt hier niets meer toevoegen of wijzigen.",
    removedFacilitatorTitle: "Deze begeleiderslink is ingetrokken",
    removedFacilitatorText: "Met deze link kun je deze sessie niet meer begeleiden. Vraag zo nodig een nieuwe uitnodiging.",
    toHome: "Naar de startpagina",
    editingShared: "Samen bewerken",
    editingHint: "Samen bewerken: deelnemers kunnen ook elkaars notities op dit bord aanpassen, verplaatsen en verwijderen.",
    editingBannerShared: "Samen bewerken staat aan: je kunt ook notities van anderen aanpassen.",
    editedBy: "bewerkt door {name}",
    // at the venue: offline queue, phones, keyboard, screens
    langCode: "en",
    navLabel: "Sessie",
    toastLabel: "Meldingen",
    waitingNote: "1 notitie wacht",
    waitingNotes: "{n} notities wachten",
    waitingChange: "1 wijziging wacht",
    waitingChanges: "{n} wijzigingen wachten",
    opNoop: "Je wijziging is niet doorgevoerd: {why}",
    opNoops: "{n} wijzigingen zijn niet doorgevoerd: {why}",
    noopReasons: {
      note_deleted: "de notitie is intussen verwijderd",
      unknown_note: "de notitie bestaat niet (meer)",
      board_locked: "het bord is intussen op slot gezet",
      unknown_zone: "die plek bestaat niet meer",
      note_exists: "die notitie bestond al",
      nothing_to_undo: "er was niets meer om ongedaan te maken",
      over_budget: "je stippen waren al op",
      over_cap: "meer stippen op deze notitie mag niet",
      vote_closed: "de stemronde was al gesloten",
      unknown_anchor: "dat onderdeel bestaat niet meer",
      unknown_cluster: "dat cluster bestaat niet meer",
      not_yours: "samen bewerken is intussen uitgezet",
      note_hidden: "de notitie is intussen verborgen",
    },
    noteKeysHint: "Enter: bewerken. Pijl omhoog of omlaag: vorige of volgende notitie. Alt met pijl links of rechts: naar een ander station. Alt met pijl omhoog of omlaag: hoger of lager zetten.",
    noteMovedTo: "Verplaatst: {zone}",
    colourOf: "kleur {colour}",
    // --- the next design round: signing up, the organiser's list, the ontwerpslag ---
    signupQuestion: "Wie wil nog eens meedenken? Of iets uitproberen in de praktijk?",
    signupInviteText: "Laat je naam en e-mailadres achter, dan benadert het ontwerpteam je voor de volgende ronde.",
    signupInviteDone: "Je hebt je op dit apparaat aangemeld. Daar vind je ook je afmeldlink.",
    signupInviteButton: "Aanmelden",
    signupInviteSee: "Bekijk je aanmelding",
    signupTitle: "Aanmelden voor de volgende ronde",
    signupIntro: "Het ontwerpteam van Sterk Techniekonderwijs werkt de instrumenten verder uit. Wil je meedenken of ze uitproberen op je school of in je regio? Meld je aan.",
    signupName: "Naam",
    signupOrganisation: "Organisatie (school, bedrijf of regio)",
    signupRole: "Je rol",
    signupRoles: { vmbo: "vmbo", mbo: "mbo", regio: "regio (bedrijf, gemeente, netwerk)", anders: "anders" },
    signupEmail: "E-mailadres",
    signupEmailHint: "Alleen om je te benaderen voor de volgende ronde.",
    signupWish: "Ik wil",
    signupMeedenken: "meedenken over de instrumenten",
    signupUitproberen: "iets uitproberen in de praktijk",
    signupInstruments: "Over welke instrumenten? (mag leeg blijven)",
    signupSubmit: "Aanmelden",
    signupBack: "Terug naar de sessie",
    signupNeedName: "Vul je naam in.",
    signupNeedRole: "Kies je rol.",
    signupNeedEmail: "Vul een e-mailadres in, zoals naam@school.nl.",
    signupNeedWish: "Kies meedenken, uitproberen of allebei.",
    signupNeedConsent: "Vink aan dat je toestemming geeft; zonder toestemming bewaren we niets.",
    signupConsentChanged: "De toestemmingstekst is intussen aangepast. Laad de pagina opnieuw en lees hem nog eens.",
    signupNoSession: "Deze sessie bestaat niet (meer). Vraag de begeleider om de code.",
    signupCheck: "Controleer het formulier.",
    signupFull: "Deze sessie neemt geen aanmeldingen meer aan. Vraag de begeleider hoe je je kunt aanmelden.",
    signupThanks: "Dank je wel, je bent aangemeld!",
    signupKnown: "Je bent aangemeld",
    signupKeepLink: "Bewaar deze afmeldlink (bijvoorbeeld als bladwijzer of in je notities). Daarmee trek je je aanmelding in; je gegevens zijn dan meteen verwijderd.",
    signupWithdrawLink: "Afmeldlink",
    signupKeptDays: "We bewaren je gegevens hoogstens {n} dagen.",
    signupAgain: "Iemand anders aanmelden op dit apparaat",
    withdrawTitle: "Aanmelding intrekken",
    withdrawText: "Hiermee trek je je toestemming in. Je naam, organisatie, rol en e-mailadres worden meteen verwijderd.",
    withdrawNoSecret: "Deze afmeldlink is niet compleet. Open de link precies zoals je hem kreeg.",
    withdrawButton: "Intrekken en mijn gegevens verwijderen",
    withdrawDone: "Je aanmelding is ingetrokken en je gegevens zijn verwijderd.",
    withdrawUnknown: "Deze afmeldlink is al gebruikt of onbekend. Was je al afgemeld, dan zijn je gegevens al verwijderd.",
    designRoundTitle: "Tweede ontwerpslag",
    designRoundIntro: "Alle feedback per instrument uit alle sessies: bespreek ze met het ontwerpteam, leg per cluster of notitie een besluit vast en download de verantwoording.",
    designRoundOpen: "Open de tweede ontwerpslag",
    signupsOpen: "Aanmeldingen",
  },
};

const LANG_KEY = "vh.lang";
/** The languages besides Dutch, each loaded when a page first shows it. */
const OTHERS = { en: () => import("./i18n-en.js").then((m) => m.en) };

async function loaded(name) {
  if (!messages[name] && OTHERS[name]) messages[name] = await OTHERS[name]();
  return Boolean(messages[name]);
}

let lang = "nl";
try {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved && (messages[saved] || OTHERS[saved])) lang = saved;
} catch { /* storage may be off */ }
if (lang !== "nl") {
  // The page's modules wait for the language it was left in (a top-level await).
  try {
    await loaded(lang);
  } catch {
    lang = "nl"; // offline without it: Dutch
  }
}

export function getLang() {
  return lang;
}

/** Show `next` from now on (kept for the next visit); resolves once its table is in (false
 * when it could not be loaded: offline, the language stays). */
export async function setLang(next) {
  try {
    if (!(await loaded(next))) return false;
  } catch {
    return false;
  }
  lang = next;
  try { localStorage.setItem(LANG_KEY, next); } catch { /* ignore */ }
  document.documentElement.lang = next;
  return true;
}

const isNode = (v) => typeof Node !== "undefined" && v instanceof Node;

/**
 * The message `key` in the current language with its {placeholders} filled. Filled with text it
 * is a string; when a value is a DOM node (a <bdi> with someone's name, R37) it is a
 * DocumentFragment with that node in its place, for el() or append().
 */
export function t(key, params = {}) {
  const table = messages[lang] || messages.nl;
  let value = key.split(".").reduce((o, k) => (o == null ? o : o[k]), table);
  if (value == null) value = key.split(".").reduce((o, k) => (o == null ? o : o[k]), messages.nl);
  if (typeof value !== "string") return value ?? key;
  if (!Object.values(params).some(isNode)) {
    return value.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
  }
  const out = document.createDocumentFragment();
  const used = new Set();
  let last = 0;
  for (const m of value.matchAll(/\{(\w+)\}/g)) {
    out.append(value.slice(last, m.index));
    const v = params[m[1]];
    if (isNode(v)) {
      out.append(used.has(v) ? v.cloneNode(true) : v);
      used.add(v);
    } else {
      out.append(String(v ?? ""));
    }
    last = m.index + m[0].length;
  }
  out.append(value.slice(last));
  return out;
}
